"""`bastion recommend`: the ranked, evidence-backed recommendations of the last days, for people (a table or
Markdown) or scripts (JSON); `bastion recommend act KEY` carries one out."""

from __future__ import annotations

import json
import random
import sys
from enum import StrEnum

import typer
from rich.table import Table
from rich.text import Text

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.clock import system_clock
from bastion.insight.recommend.model import DEFAULT_DAYS, MAX_DAYS, Recommendation, as_json

recommend_app = typer.Typer(
    help="Ranked recommendations: staff a queue, calibrate reviewers, clarify a policy, and more.",
    invoke_without_command=True,
)


class RecommendFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MD = "md"


@recommend_app.callback()
def recommend(
    ctx: typer.Context,
    output_format: RecommendFormat = typer.Option(
        RecommendFormat.TABLE, "--format", metavar="[table|json|md]", help="table for people, json, or Markdown."
    ),
    days: int = typer.Option(
        DEFAULT_DAYS, "--days", metavar="DAYS", min=1, max=MAX_DAYS, help="The window: this many days up to now."
    ),
    limit: int = typer.Option(10, "--limit", metavar="LIMIT", min=1, max=1000, help="Print the top LIMIT."),
) -> None:
    """Rank evidence-backed proposals by their expected effect in items per week (see docs/insight.md)."""
    if ctx.invoked_subcommand is not None:
        return
    from bastion.insight.recommend.service import recommendations  # the providers' engines: not at start-up

    found = recommendations(open_database(), now=system_clock(), days=days)[:limit]
    if output_format is RecommendFormat.JSON:
        sys.stdout.write(json.dumps({"recommendations": [as_json(r) for r in found]}, indent=2, ensure_ascii=False))
        sys.stdout.write("\n")
    elif output_format is RecommendFormat.MD:
        sys.stdout.write(markdown(found))
    else:
        _print_table(found)


@recommend_app.command("act")
def act_command(
    key: str = typer.Argument(..., metavar="KEY", help="The recommendation's key (see --format json)."),
    days: int = typer.Option(
        DEFAULT_DAYS, "--days", metavar="DAYS", min=1, max=MAX_DAYS, help="The window it was found in."
    ),
) -> None:
    """Carry out a recommendation: a draft bank entry, a rule change in shadow or a calibration exercise."""
    from bastion.insight.recommend.service import act

    done = act(open_database(), key, principal=SYSTEM.name, now=system_clock(), rng=random.Random(), days=days)
    result = done.acted.result if done.acted else {}
    console.print(Text(f"acted on {done.key}: " + ", ".join(f"{k} {v}" for k, v in result.items())))


def markdown(found: list[Recommendation]) -> str:
    """The recommendations as a Markdown list, with their evidence's figures."""
    if not found:
        return "No recommendation: nothing in the window stands out.\n"
    lines = ["# Recommendations", ""]
    for r in found:
        lines.append(f"{r.rank}. **{_md(r.title)}** ({r.kind.value}; {r.impact:g} {r.impact_unit})")
        lines.append(f"   - Expected effect: {_md(r.expected_effect)}")
        figures = "; ".join(f"{k} {v}" for k, v in r.evidence.figures.items())
        lines.append(f"   - Evidence: {_md(figures)}")
        if r.evidence.examples:
            lines.append(f"   - Examples: {_md(', '.join(r.evidence.examples))}")
        lines.append(f"   - Key: `{r.key}`")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Content is hostile: Markdown's active characters escaped."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in text.replace("\n", " "))


def _print_table(found: list[Recommendation]) -> None:
    if not found:
        console.print(Text("No recommendation: nothing in the window stands out."))
        return
    table = Table(title="Recommendations", title_justify="left")
    for column in ("#", "Kind", "Recommendation", "Items/week", "Key"):
        table.add_column(column, justify="right" if column in {"#", "Items/week"} else "left")
    for r in found:
        table.add_row(str(r.rank), r.kind.value, Text(r.title), f"{r.impact:g}", Text(r.key))
    console.print(table)
