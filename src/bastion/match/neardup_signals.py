"""The `neardup` signal group: each content item's near-duplicate cluster, computed in its detection
batch, and written there (never in a replay).

Every item detection sees is placed, whether or not a rule reads `signals.neardup` (the provider says
so with `always = True`): clusters must see every item to be whole, and review and insight read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bastion.detect.context import DetectionItem
from bastion.detect.fields import DOUBLE, INT, Field, Group
from bastion.detect.signals import SignalScope
from bastion.match.neardup import signatures
from bastion.match.neardup_store import INDEXES, NewMember, placing, record_members

NAME = "neardup"

FIELDS = Group(
    "The item's near-duplicate cluster: texts of the same words, folded (MinHash over word shingles; "
    "texts of fewer than five distinct words are their own cluster).",
    {
        "cluster": Field(INT, "The cluster's id: the content key of its first item (the item's own key when alone)."),
        "size": Field(INT, "Items in the cluster posted up to this one, this one included."),
        "growth_1h": Field(INT, "Items of the cluster posted in the hour up to this one, this one included."),
        "similarity": Field(DOUBLE, "Estimated Jaccard similarity to the cluster's first item (1.0 for it)."),
    },
)


class NearDuplicateSignals:
    """Places each item of a batch in its store's cluster index (see `bastion.match.neardup_store`)."""

    name = NAME
    fields = FIELDS
    always = True

    def compute(self, items: Sequence[DetectionItem], scope: SignalScope) -> Sequence[Mapping[str, Any]]:
        values = signatures([item.text for item in items])
        found: list[Mapping[str, Any]] = []
        new: list[NewMember] = []
        if not scope.replay:
            placing(scope.session)
        with INDEXES.index(scope.session) as index:
            for item, value, keys in zip(items, values, index.band_keys(values), strict=True):
                if scope.replay:
                    placement = index.preview(item.content_pk, value, item.created_at, keys)
                else:
                    placement = index.place(item.content_pk, value, item.created_at, keys)
                    if placement.joined:
                        new.append(NewMember(placement, item.created_at, value))
                found.append(
                    {
                        "cluster": placement.cluster,
                        "size": placement.size,
                        "growth_1h": placement.growth_1h,
                        "similarity": round(placement.similarity, 4),
                    }
                )
            record_members(scope.session, index, new)
        return found
