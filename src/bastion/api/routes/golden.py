"""Quality over REST: placeholder of the contract, filled by its part."""

from __future__ import annotations

from bastion.api.contract import api_router

router = api_router("golden")
