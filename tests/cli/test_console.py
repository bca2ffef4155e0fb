"""The command line's failures: one line starting `error:` on standard error, the right exit code, no trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bastion import __version__
from bastion.cli.app import app
from bastion.store.database import Database
from tests.cli.conftest import Bastion
from tests.cli.test_cli import bastion

COMMANDS = (
    *("init", "demo", "serve", "import", "simulate", "user", "apikey", "policies", "queues", "audit", "webhooks"),
    *("rules", "banks", "labels", "worker"),
    *("hash", "clusters"),
    "classifier",
    "quality",
    "hashbanks",
    "trends",
    "prevalence",
    *("metrics", "report", "export", "sql", "recommend"),
    "investigate",
    "case",
)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


USAGE_ERRORS = [
    # (arguments, what the one line says); FILE stands for a file that exists
    (["frob"], "error: no such command 'frob' (see 'bastion --help')"),
    (["user", "ad"], "did you mean 'add'?"),
    (["--frob"], "no such option: --frob"),
    (
        ["import", "FILE"],
        "missing option '--kind'; choose from: actors, content, reports, views, decisions "
        "(see 'bastion import --help')",
    ),
    (["import", "no-such-file.jsonl", "--kind", "actors"], "'no-such-file.jsonl' does not exist"),
    (["import", "FILE", "--kind", "posts"], "'posts' is not one of 'actors', 'content', 'reports', 'views'"),
    (["user", "add"], "missing argument 'NAME'"),
    (["user", "list", "--format", "xml"], "'xml' is not one of 'table', 'json', 'csv'"),
    (["webhooks", "dead", "--limit", "many"], "'--limit': must be a whole number"),
    (["webhooks", "dead", "--limit", "0"], "'--limit': must be at least 1"),
    (["serve", "--port", "70000"], "'--port': must be at most 65535"),
    (["simulate", "--days", "two"], "'--days': must be a whole number"),
    (["policies", "load"], "missing argument 'FILE' (see 'bastion policies load --help')"),
]


@pytest.mark.parametrize(("args", "says"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_a_usage_error_is_one_line_and_exit_2(
    run_bastion: Bastion, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("{}\n", encoding="utf-8")
    ran = run_bastion(*args, url=f"sqlite:///{tmp_path}/x.db")
    assert ran.code == 2
    assert says in one_error_line(ran.err)
    assert ran.out == ""
    assert not (tmp_path / "x.db").exists() or args[0] == "init"


def test_bastion_alone_lists_the_commands_and_exits_2(run_bastion: Bastion, tmp_path: Path) -> None:
    ran = run_bastion(url=f"sqlite:///{tmp_path}/x.db")
    assert ran.code == 2 and ran.out == ""
    lines = ran.err.splitlines()
    assert lines[0] == "usage: bastion COMMAND [OPTIONS] [ARGS]..."
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    assert sorted(listed) == sorted(COMMANDS)
    assert lines[-1] == "run 'bastion COMMAND --help' for a command's options"
    assert len(lines) < 40  # one screen of a 40-line terminal (28 commands, one line each)


def test_a_command_group_alone_lists_its_commands(run_bastion: Bastion, tmp_path: Path) -> None:
    ran = run_bastion("webhooks", url=f"sqlite:///{tmp_path}/x.db")
    assert ran.code == 2
    assert ran.err.splitlines()[0] == "usage: bastion webhooks COMMAND [OPTIONS] [ARGS]..."
    assert [line.split()[0] for line in ran.err.splitlines() if line.startswith("  ")] == ["deliver", "dead", "replay"]


def test_version(run_bastion: Bastion, tmp_path: Path) -> None:
    ran = run_bastion("--version", url=f"sqlite:///{tmp_path}/x.db")
    assert (ran.code, ran.out, ran.err) == (0, f"bastion {__version__}\n", "")


def test_a_store_never_initialised_says_to_run_init(run_bastion: Bastion, tmp_path: Path) -> None:
    ran = run_bastion("user", "list", url=f"sqlite:///{tmp_path}/fresh.db")
    assert ran.code == 1
    assert one_error_line(ran.err) == "error: the database has no Bastion schema yet: run 'bastion init' first"


def test_a_schema_older_than_the_code_says_to_run_init(run_bastion: Bastion, sqlite_database: Database) -> None:
    with sqlite_database.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE users DROP COLUMN vendor")  # as if a migration were missing
    ran = run_bastion("user", "list", url=sqlite_database.url)
    assert ran.code == 1
    assert one_error_line(ran.err) == (
        "error: the database cannot be used: no such column: users.vendor; if Bastion was upgraded, run 'bastion init'"
    )


def test_an_unreachable_database_is_one_line(run_bastion: Bastion) -> None:
    ran = run_bastion("user", "list", url="postgresql+psycopg://nobody@127.0.0.1:1/bastion")
    assert ran.code == 1
    assert one_error_line(ran.err).startswith("error: the database cannot be used: ")


def test_a_bad_setting_names_the_variable(run_bastion: Bastion, tmp_path: Path) -> None:
    ran = run_bastion("init", url=f"sqlite:///{tmp_path}/x.db", env={"BASTION_SESSION_HOURS": "-1"})
    assert ran.code == 2
    assert ran.err.splitlines() == [
        "error: the environment has 1 bad setting",
        "  BASTION_SESSION_HOURS: must be greater than 0",
    ]
    assert not (tmp_path / "x.db").exists()


def test_a_bad_setting_read_while_the_commands_are_assembled_is_one_clear_line(tmp_path: Path) -> None:
    # The command tree reads the settings (which plug-ins to load) while it is built: a bad value must
    # still be reported, even for --help, by the installed entry point itself.
    env = {**os.environ, "BASTION_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "BASTION_DETECTION_WORKER": "maybe"}
    ran = subprocess.run([sys.executable, "-m", "bastion", "--help"], env=env, capture_output=True, text=True)
    assert ran.returncode == 2
    assert ran.stderr.splitlines() == [
        "error: the environment has 1 bad setting",
        "  BASTION_DETECTION_WORKER: must be true or false",
    ]
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "BASTION_WEBHOOK_URL is not set"),
        ("ftp://platform.example/hook", "must be an http:// or https:// URL with a host"),
        ("https://platform.example/my hook", "has spaces or control characters"),
        ("https://[::1/hook", "its host or its port cannot be read"),
        ("https://platform.example:99999/hook", "its host or its port cannot be read"),
        ("https://platform.example:0/hook", "has port 0"),
    ],
)
def test_a_bad_webhook_url_is_one_clear_line(
    run_bastion: Bastion, sqlite_database: Database, url: str, says: str
) -> None:
    ran = run_bastion(
        "webhooks",
        "deliver",
        "--once",
        url=sqlite_database.url,
        env={"BASTION_WEBHOOK_URL": url, "BASTION_WEBHOOK_SECRET": "s" * 40},
    )
    assert ran.code == 1
    assert says in one_error_line(ran.err)


def walk(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import typer.main
    from typer.core import TyperGroup

    command = typer.main.get_command(app) if group is None else group
    found = [path]
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            found += walk(sub, (*path, name))
    return found


def test_every_help_names_values_not_python_types(run_bastion: Bastion, tmp_path: Path) -> None:
    paths = walk(None)
    assert len(paths) >= 20
    for path in paths:
        ran = run_bastion(*path, "--help", url=f"sqlite:///{tmp_path}/x.db")
        assert ran.code == 0, path
        options = ran.out.partition("Options:")[2]  # arguments still show their kind: NAME <str>
        assert "--help  " in options, path
        for noise in ("<bool>", "<list[", "<str>", "<int", "<float", "<path>", "range>"):
            assert noise not in options, (path, noise, ran.out)
        assert "Default:" not in ran.out, path  # typer prints [default: …] itself


def test_the_entry_point_itself_catches_typers_usage_errors(tmp_path: Path) -> None:
    """The same failure through `python -m bastion`, a real process: typer's own click, caught."""
    result = bastion("frob", url=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 2
    assert result.stderr == "error: no such command 'frob' (see 'bastion --help')\n"
    alone = bastion(url=f"sqlite:///{tmp_path}/x.db")
    assert alone.returncode == 2 and "Traceback" not in alone.stderr
    assert alone.stderr.startswith("usage: bastion COMMAND")
