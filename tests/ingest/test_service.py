"""The ingest service's pure parts: what a content item's event records."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bastion.ingest.service import _content_created


@given(ident=st.text(), content_type=st.sampled_from(["post", "comment"]), surface=st.none() | st.text())
def test_a_content_event_records_what_json_dumps_would_write(
    ident: str, content_type: str, surface: str | None
) -> None:
    data = {"id": ident, "type": content_type, "surface": surface}
    assert _content_created(ident, content_type, surface) == json.dumps(data)
