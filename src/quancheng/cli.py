"""The `quancheng` command: a thin shell over the same services as the API."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
import pydantic

from quancheng import __version__
from quancheng.errors import PlatformError, ValidationFailed
from quancheng.identity.roles import Role
from quancheng.identity.service import DepartmentFields, DepartmentKind
from quancheng.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
SECRET_FILE = "secret.key"  # noqa: S105 (a file name, not a secret)
# Where `serve --workers N` keeps the workers' request counts for /metrics (remade each start).
METRICS_DIR = "metrics"


def data_dir_option(f: F) -> F:
    """The --data-dir option every command that works on a city takes."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="QC_DATA_DIR",
        default=Path("./quancheng-data"),
        show_default=True,
        help="Directory of the city's files (QC_DATA_DIR).",
    )(f)


def load_settings(data_dir: Path, *, demo: bool = False, **overrides: Any) -> Settings:
    """Settings from QC_* variables, with the data dir's own secret key when none is set."""
    values: dict[str, Any] = {"data_dir": data_dir, **overrides}
    if demo:
        values["demo_mode"] = True
    if not os.environ.get("QC_SECRET_KEY"):
        key_file = data_dir / SECRET_FILE
        if key_file.exists():
            values["secret_key"] = key_file.read_text().strip()
    try:
        return Settings(**values)
    except PlatformError as exc:
        raise click.ClickException(exc.message) from exc
    except pydantic.ValidationError as exc:
        # A bad QC_* value: name the variable and what it should be, not a traceback.
        lines = [
            f"  QC_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            if error["loc"]
            else f"  {error['msg']}"
            for error in exc.errors()
        ]
        raise click.ClickException("\n".join(["invalid settings", *lines])) from exc


def ensure_secret(data_dir: Path) -> None:
    """Create the data dir's secret key file (0600) unless QC_SECRET_KEY or the file exists."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / SECRET_FILE
    if os.environ.get("QC_SECRET_KEY") or key_file.exists():
        return
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48) + "\n")


def services_for(settings: Settings, *, migrate: bool = True) -> Any:
    """Services of a city, with its schema brought up to date."""
    from quancheng.app import Services

    services = Services.from_settings(settings)
    if migrate:
        services.db.migrate()
    return services


def fail_on_platform_errors(f: F) -> F:
    """Turn our errors into a clear message and a non-zero exit."""
    import functools

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except ValidationFailed as exc:
            lines = [exc.message] + [f"  {e.field}: {e.message}" for e in exc.errors]
            raise click.ClickException("\n".join(lines)) from exc
        except PlatformError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quancheng")
def main() -> None:
    """Quancheng (泉城): the city data platform."""


@main.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option("--no-serve", is_flag=True, help="Build the demo city, then exit.")
@click.option("--seed", default=2024, show_default=True, type=int, help="Seed of the demo data.")
@click.option(
    "--large", is_flag=True, help="Also load a table of 10 million rows (bus card taps) for scale."
)
@fail_on_platform_errors
def demo(data_dir: Path, host: str, port: int, no_serve: bool, seed: int, large: bool) -> None:
    """Build the demo city of Jinan (once) and serve it."""
    from quancheng.demo.build import ACCOUNTS_FILE, build_demo, is_built, load_large_table

    ensure_secret(data_dir)
    settings = load_settings(data_dir, demo=True)
    services = services_for(settings)
    services.ledger.ensure_key()
    if is_built(services):
        click.echo(f"Demo city already built in {data_dir}; reusing it.")
        if large:
            click.echo("Loading the 10-million-row table (if not loaded yet) …")
            load_large_table(services)
    else:
        click.echo(f"Building the demo city of Jinan in {data_dir} …")
        summary = build_demo(services, data_dir=data_dir, seed=seed, large=large)
        click.echo(
            f"Built {summary['departments']} departments, {summary['datasets']} catalog entries "
            f"({summary['shared']} shareable, {summary['open']} open), "
            f"{summary['data_tables']} data tables with {summary['data_rows']} rows, "
            f"{summary['accounts']} demo accounts in {summary['seconds']:.1f} s."
        )
    click.echo(f"Demo accounts: {data_dir / ACCOUNTS_FILE}")
    services.datastore.recover()
    services.close()
    if not no_serve:
        _serve(data_dir, host, port, workers=1, demo=True, log_format=settings.log_format)


@main.command()
@data_dir_option
@click.option("--host", default=None, help="Address to listen on (QC_HOST, 127.0.0.1).")
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="Port to listen on (QC_PORT, 8000)."
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Worker processes."
)
@fail_on_platform_errors
def serve(data_dir: Path, host: str | None, port: int | None, workers: int) -> None:
    """Serve a city's web pages and API."""
    settings = load_settings(data_dir)
    services = services_for(settings, migrate=False)
    if not services.db.is_initialised():
        raise click.ClickException(f"no city in {data_dir}: run `quancheng init` first")
    services.db.migrate()
    # Loads that a previous server process left half-done are failed and their tables dropped.
    dropped = services.datastore.recover()
    if dropped:
        click.echo(f"Dropped {len(dropped)} tables of interrupted data loads.")
    services.close()
    _serve(
        data_dir,
        host or settings.host,
        port or settings.port,
        workers=workers,
        demo=False,
        log_format=settings.log_format,
    )


def _serve(
    data_dir: Path,
    host: str,
    port: int,
    *,
    workers: int,
    demo: bool,
    log_format: Literal["text", "json"] = "text",
) -> None:
    import uvicorn

    from quancheng.observability import MULTIPROCESS_ENV, log_config
    from quancheng.serving import NoDelayH11Protocol

    # Worker processes build their own app from the environment (nothing at import time).
    os.environ["QC_DATA_DIR"] = str(data_dir)
    if demo:
        os.environ["QC_DEMO_MODE"] = "true"
    if not os.environ.get("QC_SECRET_KEY") and (data_dir / SECRET_FILE).exists():
        os.environ["QC_SECRET_KEY"] = (data_dir / SECRET_FILE).read_text().strip()
    trusted = os.environ.get("QC_TRUSTED_PROXIES", "").strip()
    if workers > 1 and not os.environ.get(MULTIPROCESS_ENV):
        # Each worker counts its own requests; /metrics sums the files they share here.
        metrics_dir = data_dir / METRICS_DIR / str(port)  # two servers of one city apart
        shutil.rmtree(metrics_dir, ignore_errors=True)  # the counts of an earlier run
        metrics_dir.mkdir(parents=True)
        os.environ[MULTIPROCESS_ENV] = str(metrics_dir)
    click.echo(f"Serving on http://{host}:{port}")
    uvicorn.run(
        "quancheng.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # TCP_NODELAY on every connection: without it, kept-alive requests waited 40 ms.
        http=NoDelayH11Protocol,
        log_level="info",
        # Every worker applies it; our access line replaces uvicorn's, which logs query strings.
        log_config=log_config(log_format),
        access_log=False,
        # Forwarded headers only from the proxies named in QC_TRUSTED_PROXIES: anyone else
        # could claim any address (and dodge the login limits) or scheme.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        # A worker may take a while to import the app on a busy machine; uvicorn's default
        # (5 s) killed slow starters again and again.
        timeout_worker_healthcheck=60,
    )


@main.command()
@data_dir_option
@click.option(
    "--authority-name",
    default="市大数据局",
    show_default=True,
    help="Name of the platform authority's department.",
)
@click.option(
    "--authority-credit-code",
    required=True,
    help="统一社会信用代码 of the platform authority (18 characters).",
)
@click.option(
    "--admin-username",
    default="admin",
    show_default=True,
    help="User name of the first platform administrator.",
)
@click.option(
    "--admin-password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password of the first administrator (prompted when omitted).",
)
@fail_on_platform_errors
def init(
    data_dir: Path,
    authority_name: str,
    authority_credit_code: str,
    admin_username: str,
    admin_password: str,
) -> None:
    """Create a new, empty city with its platform authority and first admin."""
    from quancheng.catalog.classification import seed_classifications
    from quancheng.demo.content import classifications

    ensure_secret(data_dir)
    services = services_for(load_settings(data_dir))
    if services.identity.list_departments():
        raise click.ClickException(f"{data_dir} already holds a city")
    # The log key exists before the first event it will sign a checkpoint of.
    services.ledger.ensure_key()
    with services.db.transaction() as s:
        services.identity.add_department(
            s,
            DepartmentFields(
                key="bigdata",
                name=authority_name,
                short_name=authority_name,
                credit_code=authority_credit_code.upper(),
                kind=DepartmentKind.CITY_DEPARTMENT.value,
            ),
        )
        seed_classifications(s, classifications())
        services.identity.add_user(
            s,
            None,
            username=admin_username,
            password=admin_password,
            role=Role.PLATFORM_ADMIN,
            department="bigdata",
        )
    click.echo(f"New city in {data_dir}: log in as {admin_username}.")


@main.command()
@data_dir_option
def migrate(data_dir: Path) -> None:
    """Bring the database schema up to date, and the data derived from it."""
    services = services_for(load_settings(data_dir), migrate=False)
    try:
        rebuilt = services.db.migrate()
    finally:
        services.close()
    for kind, rows in rebuilt.items():
        click.echo(f"Rebuilt {kind} with this release's code: {rows} rows.")
    click.echo("Schema is up to date.")


@main.group()
def department() -> None:
    """Manage departments."""


@department.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def department_list(data_dir: Path, as_json: bool) -> None:
    """List departments."""
    services = services_for(load_settings(data_dir))
    rows = services.identity.list_departments()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {"key": d.key, "name": d.name, "credit_code": d.credit_code, "kind": d.kind}
                    for d in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for d in rows:
        click.echo(f"{d.key:<16} {d.credit_code}  {d.kind:<20} {d.name}")


@department.command("create")
@data_dir_option
@click.option("--key", required=True, help="Stable short key (lowercase letters, digits, -).")
@click.option("--name", required=True, help="Full name, e.g. 济南市公安局.")
@click.option("--short-name", required=True, help="Short name, e.g. 市公安局.")
@click.option("--credit-code", required=True, help="统一社会信用代码 (18 characters).")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in DepartmentKind]),
    default=DepartmentKind.CITY_DEPARTMENT.value,
    show_default=True,
    help="Kind of body.",
)
@click.option("--parent", default=None, help="Key of the parent department.")
@click.option("--name-en", default="", help="English name.")
@fail_on_platform_errors
def department_create(
    data_dir: Path,
    key: str,
    name: str,
    short_name: str,
    credit_code: str,
    kind: str,
    parent: str | None,
    name_en: str,
) -> None:
    """Register a department."""
    services = services_for(load_settings(data_dir))
    fields = DepartmentFields(
        key=key,
        name=name,
        short_name=short_name,
        credit_code=credit_code.upper(),
        kind=kind,
        name_en=name_en,
        parent_key=parent,
    )
    with services.db.transaction() as s:
        services.identity.add_department(s, fields)
    click.echo(f"Department {key} created.")


@main.group()
def user() -> None:
    """Manage users and their API tokens."""


@user.command("list")
@data_dir_option
@click.option("--department", default=None, help="Only this department (key or name).")
@fail_on_platform_errors
def user_list(data_dir: Path, department: str | None) -> None:
    """List users."""
    services = services_for(load_settings(data_dir))
    for u in services.identity.list_users(department):
        state = "" if u.is_active else " (disabled)"
        click.echo(f"{u.username:<24} {u.role:<18} {u.department_id or '-'}{state}")


@user.command("create")
@data_dir_option
@click.option("--username", required=True, help="Login name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password (prompted when omitted).",
)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="Role.")
@click.option("--department", default=None, help="Department key or name (not for public users).")
@click.option("--display-name", default="", help="Name shown in the pages.")
@fail_on_platform_errors
def user_create(
    data_dir: Path,
    username: str,
    password: str,
    role: str,
    department: str | None,
    display_name: str,
) -> None:
    """Create a user."""
    services = services_for(load_settings(data_dir))
    services.identity.create_user(
        None,
        username=username,
        password=password,
        role=Role(role),
        department=department,
        display_name=display_name,
    )
    click.echo(f"User {username} created.")


@user.command("passwd")
@data_dir_option
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="New password (prompted when omitted).",
)
@fail_on_platform_errors
def user_passwd(data_dir: Path, username: str, password: str) -> None:
    """Set a user's password (ends their sessions)."""
    services_for(load_settings(data_dir)).identity.set_password(username, password)
    click.echo(f"Password of {username} changed.")


@user.command("disable")
@data_dir_option
@click.argument("username")
@fail_on_platform_errors
def user_disable(data_dir: Path, username: str) -> None:
    """Disable a user at once."""
    services_for(load_settings(data_dir)).identity.set_active(username, active=False)
    click.echo(f"User {username} disabled.")


@user.command("enable")
@data_dir_option
@click.argument("username")
@fail_on_platform_errors
def user_enable(data_dir: Path, username: str) -> None:
    """Enable a disabled user."""
    services_for(load_settings(data_dir)).identity.set_active(username, active=True)
    click.echo(f"User {username} enabled.")


@user.command("role")
@data_dir_option
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@fail_on_platform_errors
def user_role(data_dir: Path, username: str, role: str) -> None:
    """Give a user another role; it applies from their next request."""
    services_for(load_settings(data_dir)).identity.update_user(None, username, role=Role(role))
    click.echo(f"User {username} is now {role}.")


@user.command("token")
@data_dir_option
@click.argument("username")
@click.option("--name", required=True, help="What the token is for.")
@click.option(
    "--days",
    default=None,
    type=click.IntRange(1, 3650),
    help="Validity in days, 1 to 3650 (default QC_TOKEN_DAYS).",
)
@click.option(
    "--permission",
    "permissions",
    multiple=True,
    help="Limit the token to these permissions (repeatable).",
)
@fail_on_platform_errors
def user_token(
    data_dir: Path, username: str, name: str, days: int | None, permissions: tuple[str, ...]
) -> None:
    """Issue an API token for a user; it is printed once."""
    from sqlalchemy import select

    from quancheng.db.models import User

    services = services_for(load_settings(data_dir))
    with services.db.transaction() as s:
        row = s.scalar(select(User).where(User.username == username))
        if row is None:
            raise click.ClickException(f"no user {username}")
        issued = services.identity.add_token(
            s, row, name=name, permissions=list(permissions) or None, days=days
        )
    click.echo(issued.token)
    click.echo(f"expires {issued.expires_at:%Y-%m-%d}; it will not be shown again", err=True)


def _register_domain_commands() -> None:
    # The domain command modules import this one for its shared options, so they are
    # attached once `main` exists.
    from quancheng.commands import backup, catalog, data, harvest, ledger, sharing, simulate

    main.add_command(data.ingest)
    main.add_command(data.rollback)
    main.add_command(data.data)
    main.add_command(catalog.catalog)
    main.add_command(ledger.ledger)
    main.add_command(ledger.witness)
    main.add_command(sharing.sharing)
    main.add_command(harvest.harvest)
    main.add_command(simulate.simulate)
    main.add_command(backup.backup)
    main.add_command(backup.restore)


_register_domain_commands()
