"""The command tree."""

from __future__ import annotations

import typer

from bastion.cli import audit, data, queues, server, simulate, users, webhooks

app = typer.Typer(
    name="bastion",
    help="Bastion: integrity operations. Every command honours BASTION_DATABASE_URL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init")(server.init)
app.command("demo")(server.demo)
app.command("serve")(server.serve)
app.command("import")(data.import_command)
app.command("simulate")(simulate.simulate)
app.add_typer(users.user_app, name="user")
app.add_typer(users.apikey_app, name="apikey")
app.add_typer(data.policies_app, name="policies")
app.add_typer(queues.queues_app, name="queues")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(webhooks.webhooks_app, name="webhooks")
