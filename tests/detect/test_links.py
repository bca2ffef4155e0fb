from __future__ import annotations

from bastion.detect.links import domain_of, domains_of, links_in


def test_links_are_found_in_order_without_trailing_punctuation_or_repeats() -> None:
    text = "Win now: https://Bit.ly/x1, then http://www.example.com:8080/a?b=c. Again https://Bit.ly/x1!"
    assert links_in(text) == ["https://Bit.ly/x1", "http://www.example.com:8080/a?b=c"]


def test_domains_are_lower_case_without_www_or_port() -> None:
    urls = ["https://Bit.ly/x1", "http://www.example.com:8080/a", "http://[bad"]
    assert domains_of(urls) == ["bit.ly", "example.com"]
    assert domain_of("not a url") == ""


def test_text_without_links_has_none() -> None:
    assert links_in("no links here, just www.example.com") == []
