"""The reference rule set that ships with Bastion: spam bursts, scam links and known slurs, with the
banks they read (`reference/*.txt`, `reference/rules.yaml`). The demo runs on it; a team starts from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from sqlalchemy.orm import Session

from bastion.detect.banks import bank_detail, create_bank, import_entries, list_banks
from bastion.detect.rule_store import LoadOutcome, load_rule_text
from bastion.domain.detect import BankKind

BANKS: dict[str, tuple[BankKind, str]] = {
    "spam_terms": (BankKind.KEYWORD, "Follower selling and engagement bait, in the platform's main languages"),
    "scam_terms": (BankKind.KEYWORD, "Prize claims, phishing and advance-fee promises"),
    "slurs": (BankKind.KEYWORD, "Known slurs (from HateXplain's annotations, read by a person)"),
    "link_patterns": (BankKind.REGEX, "URL shorteners, throwaway promotion domains and payment asks"),
}
RULES_FILE = "rules.yaml"
# The hash banks the reference rules read, created empty: a team fills them from its own lists (the
# demo, from the simulated platform's). name -> (kind, policy, description)
HASH_BANKS: dict[str, tuple[str, str | None, str]] = {
    "known_adult_images": ("match", "adult_nudity_and_sexual_activity", "Known adult images"),
    "campaign_images": ("match", None, "Images coordinated campaigns posted, banked by investigators"),
    "benign_memes": ("allow", None, "Widely shared images known to be fine: their matches are no hits"),
}
FLOOD = (50, 3600)  # the reference match banks hold a hash's hits past 50 items within an hour


def reference_text(name: str) -> str:
    return resources.files("bastion.detect").joinpath("reference", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class ReferenceInstall:
    banks_created: list[str]
    banks_updated: list[str]
    rules: LoadOutcome


def install_reference(session: Session, *, principal: str, now: datetime) -> ReferenceInstall:
    """Create the reference banks (or bring them up to date) and load the reference rules."""
    existing = {bank.name for bank in list_banks(session)}
    created, updated = [], []
    for name, (kind, description) in BANKS.items():
        if name not in existing:
            create_bank(session, name, kind, description, principal=principal, now=now)
            created.append(name)
        text = reference_text(f"{name}.txt")
        wanted = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        if list(bank_detail(session, name).entries) != wanted:
            import_entries(
                session, name, text, replace=True, principal=principal, now=now, source=f"reference/{name}.txt"
            )
            if name in existing:
                updated.append(name)
    _install_hash_banks(session, principal=principal, now=now)
    outcome = load_rule_text(
        session, reference_text(RULES_FILE), source=f"reference/{RULES_FILE}", principal=principal, now=now
    )
    return ReferenceInstall(created, updated, outcome)


def _install_hash_banks(session: Session, *, principal: str, now: datetime) -> None:
    from bastion.match.hash_banks import FloodLimit, create_hash_bank, list_hash_banks

    existing = {bank.name for bank in list_hash_banks(session)}
    for name, (kind, policy, description) in HASH_BANKS.items():
        if name not in existing:
            flood = FloodLimit(*FLOOD) if kind == "match" else None
            create_hash_bank(
                session,
                name,
                kind=kind,
                policy_id=policy,
                description=description,
                flood=flood,
                principal=principal,
                now=now,
            )
