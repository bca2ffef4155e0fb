"""`bastion classifier`: train the built-in classifier of a policy from reviewers' decisions, list and
show models with their cards, measure them against reviewers, put them live, in shadow or off."""

from __future__ import annotations

import json
import sys

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import choices, console, open_database
from bastion.cli.listing import Cell, Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.domain.models import ModelMode
from bastion.models.versions import set_mode
from bastion.models.views import NOT_MEASURED_YET, ModelSummary, list_models, model_detail

MODES = choices(ModelMode)
classifier_app = typer.Typer(
    help="Classifiers trained from reviewers' decisions, and model endpoints, scored like reviewers.",
    no_args_is_help=True,
)


@classifier_app.command("train")
def classifier_train(
    policy: str = typer.Option(..., "--policy", metavar="POLICY", help="A policy, or a family such as hate_speech."),
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="The model's name (default: the policy, dots as _)."
    ),
    mode: ModelMode = typer.Option(
        ModelMode.SHADOW, "--mode", metavar=MODES, help="Whether its scores drive anything."
    ),
    seed: int = typer.Option(0, "--seed", metavar="N", help="Seeds the split into fit, threshold and held-out."),
) -> None:
    """Train a new version from the decisions in the store, and print its held-out figures."""
    from bastion.models.training import train_classifier  # scikit-learn and pandas: not for every command

    with console.status("training from reviewers' decisions…"), open_database().transaction() as session:
        row = train_classifier(
            session, policy, principal=SYSTEM.name, now=system_clock(), name=name, mode=mode, seed=seed
        )
        card = dict(row.card)
        label = f"{row.name} version {row.version}"
    held = card["held_out"]
    console.print(f"trained [bold]{escape(label)}[/] ({mode.value}) for policy {escape(policy)}")
    console.print(
        f"  {card['data']['examples']:,} decided items: {card['data']['violating']:,} violating, "
        f"{card['data']['not_violating']:,} not; threshold {card['threshold']:.3f}",
        markup=False,
    )
    console.print(
        f"  held out ({held['count']:,} items): precision {_figure(held['precision'])}, recall "
        f"{_figure(held['recall'])}, F1 {_figure(held['f1'])}, kappa {_figure(held['kappa'])}, "
        f"AUROC {_figure(held['auroc'])}",
        markup=False,
    )


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


MODEL_COLUMNS = (
    Column("name"),
    Column("version", numeric=True),
    Column("kind"),
    Column("policy"),
    Column("mode"),
    Column("threshold", numeric=True),
    Column("scored", numeric=True),
    Column("decided", numeric=True),
    Column("precision", numeric=True),
    Column("recall", numeric=True),
    Column("kappa", numeric=True),
    Column("created_at"),
)


def _row(m: ModelSummary) -> tuple[Cell, ...]:
    a = m.agreement
    return (
        m.name,
        m.version,
        m.kind,
        m.policy,
        m.mode,
        m.threshold,
        m.scored,
        a.count,
        _rounded(a.precision),
        _rounded(a.recall),
        _rounded(a.kappa),
        m.created_at,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@classifier_app.command("list")
def classifier_list(
    retired: bool = typer.Option(False, "--retired", help="Every version, retired ones too."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The model in force under each name, with its agreement with reviewers."""
    with open_database().transaction() as session:
        models = list_models(session, retired=retired)
    print_listing(
        MODEL_COLUMNS,
        [_row(m) for m in models],
        output,
        empty="no models yet: train one with 'bastion classifier train --policy POLICY'",
    )


@classifier_app.command("show")
def classifier_show(
    name: str = typer.Argument(..., metavar="NAME", help="The model."),
    version: int | None = typer.Option(
        None, "--version", metavar="N", help="A numbered version (without it: the one in force)."
    ),
) -> None:
    """A model's card and configuration, as JSON."""
    with open_database().transaction() as session:
        detail = model_detail(session, name, version)
    document = {
        "name": detail.model.name,
        "version": detail.model.version,
        "kind": detail.model.kind,
        "policy": detail.model.policy,
        "mode": detail.model.mode,
        "config": detail.config,
        "card": detail.card,
    }
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


@classifier_app.command("evaluate")
def classifier_evaluate(
    name: str = typer.Argument(..., metavar="NAME", help="The model."),
    version: int | None = typer.Option(
        None, "--version", metavar="N", help="A numbered version (without it: the one in force)."
    ),
) -> None:
    """The model scored like a reviewer: its verdicts against reviewers' decisions on the items it scored."""
    with open_database().transaction() as session:
        detail = model_detail(session, name, version)
    m, a = detail.model, detail.model.agreement
    console.print(f"{m.name} version {m.version} ({m.mode}), policy {m.policy}", markup=False)
    console.print(f"  scored {m.scored:,} items; reviewers decided {a.count:,} of them ({a.positives:,} violating)")
    console.print(
        f"  against reviewers: precision {_figure(a.precision)}, recall {_figure(a.recall)}, "
        f"F1 {_figure(a.f1)}, Cohen's kappa {_figure(a.kappa)}",
        markup=False,
    )
    console.print(f"  {NOT_MEASURED_YET}", markup=False)


@classifier_app.command("mode")
def classifier_mode(
    name: str = typer.Argument(..., metavar="NAME", help="The model."),
    mode: ModelMode = typer.Argument(..., metavar=MODES, help="live, shadow or off."),
) -> None:
    """Put the model in force live (rules read it, it feeds priority), in shadow or off."""
    with open_database().transaction() as session:
        row = set_mode(session, name, mode, principal=SYSTEM.name, now=system_clock())
        label = f"{row.name} version {row.version}"
    console.print(f"{escape(label)} is {mode.value}")
