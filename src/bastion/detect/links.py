"""The links in a text: http(s) URLs as written, and their host names."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_TRAILING = ".,;:!?"
MAX_LINKS = 50  # a text with more is spam whatever they are; the rest are not looked at


def links_in(text: str) -> list[str]:
    """The distinct http(s) links of `text`, in order, without trailing punctuation."""
    if "://" not in text:
        return []
    found: dict[str, None] = {}
    for match in _URL.finditer(text):
        found[match.group(0).rstrip(_TRAILING)] = None
        if len(found) >= MAX_LINKS:
            break
    return list(found)


def domain_of(url: str) -> str:
    """The host name of a link, lower case, without `www.` and without a port ("" when it has none)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def domains_of(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(host for host in map(domain_of, urls) if host))
