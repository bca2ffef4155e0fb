"""People in browser tests: users made in the live server's store, and logging in through the real form."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from tests.conftest import PASSWORD, LiveServer, make_user


def add_user(server: LiveServer, name: str, role: Role, **kw: Any) -> None:
    clock = server.context.clock
    assert isinstance(clock, FrozenClock)
    make_user(server.context.database, clock, name, role, **kw)


def log_in(page: Page, server: LiveServer, name: str, target: str) -> None:
    page.goto(server.url + target)
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
