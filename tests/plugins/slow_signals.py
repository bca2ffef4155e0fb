"""A signal plug-in for tests: `signals.slow.ready` is always true, and each batch takes a while, so that
a test can kill a worker in the middle of one."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from bastion.detect.context import DetectionItem
from bastion.detect.fields import BOOL, Field, Group
from bastion.detect.signals import SignalScope
from bastion.plugins import hookimpl

SECONDS_PER_BATCH = 1.0
FIELDS = Group("A slow signal.", {"ready": Field(BOOL, "Always true, after a pause.")})


class SlowSignal:
    name = "slow"
    fields = FIELDS

    def compute(self, items: Sequence[DetectionItem], scope: SignalScope) -> Sequence[Mapping[str, Any]]:
        time.sleep(SECONDS_PER_BATCH)
        return [{"ready": True} for _ in items]


@hookimpl
def signal_providers() -> Sequence[SlowSignal]:
    return [SlowSignal()]
