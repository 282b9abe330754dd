"""The `safecity` command: serve the site, migrate the database, load the demo records.

Every failure ends as one line on stderr and a non-zero exit status (2 for usage errors), never
a traceback: the operator gets a sentence to act on (PRODUCT.md, "Command line").
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select

# Typer vendors its own copy of click; usage errors are raised as its exception classes.
from typer._click import exceptions as click_errors

from app import migrate
from app.config import ConfigError, Settings, get_settings
from app.db import create_db_engine
from app.models import Deployment

app = typer.Typer(
    name="safecity",
    help="Safe City Watch: a civil-liberties database of public-surveillance deployments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Create or upgrade the database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo records built from the seed articles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")


class Role(StrEnum):
    moderator = "moderator"
    admin = "admin"


# Submitter safety: no log line may carry a client address or user agent. Uvicorn's access
# log does, so it is switched off and its logger discarded; the other formatter has no such
# field. Websockets are off too, since uvicorn logs the client address on each handshake.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"},
    },
    "handlers": {
        "default": {"formatter": "default", "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr"},
        "discard": {"class": "logging.NullHandler"},
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["discard"], "level": "CRITICAL", "propagate": False},
    },
}


class CommandError(Exception):
    """A failure the operator can act on; the message is one line."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Run the web application (checks the database first)."""
    settings = get_settings()
    engine, where = _open(settings)
    try:
        _require_latest_schema(engine, settings, where)
    finally:
        engine.dispose()
    try:
        settings.resolved_secret_key()  # created in the data folder on first run
    except OSError as exc:
        raise CommandError(
            f"cannot write the secret key to the data folder {settings.data_dir}: {exc.strerror}"
        ) from None

    import uvicorn

    uvicorn.run(
        "app.main:app_factory",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        log_config=LOG_CONFIG,
        proxy_headers=False,
        server_header=False,
        ws="none",
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (creates it when empty)."""
    settings = get_settings()
    engine, where = _open(settings)
    try:
        before = migrate.current_revision(engine)
    finally:
        engine.dispose()
    url = settings.resolved_database_url
    head = migrate.head_revision(url)
    if before == head:
        typer.echo(f"Database {where} is already at the latest schema ({head}).")
        return
    migrate.upgrade(url)
    typer.echo(f"Database {where} upgraded from {before or 'empty'} to {head}.")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and whether it is the latest."""
    settings = get_settings()
    engine, where = _open(settings)
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision(settings.resolved_database_url)
    state = "up to date" if current == head else "run `safecity db upgrade`"
    typer.echo(f"Database {where}: schema {current or 'none (empty)'}; latest {head}; {state}.")


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty",
            help="Do nothing when the database holds any deployment that is not a demo record.",
        ),
    ] = False,
) -> None:
    """Create or refresh the demo records; running it again changes nothing."""
    from app.services.demo import load_demo

    settings = get_settings()
    engine, where = _open(settings)
    try:
        _require_latest_schema(engine, settings, where)
        with Session(engine) as session:
            if if_empty:
                real = session.exec(
                    select(func.count()).select_from(Deployment).where(~col(Deployment.is_demo))
                ).one()
                if real:
                    typer.echo(
                        f"Skipped the demo data: the database holds {real} deployment(s) "
                        "that are not demo records."
                    )
                    return
            report = load_demo(session=session)
    finally:
        engine.dispose()
    if report.changed:
        typer.echo(
            f"Demo data loaded into {where}: {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged."
        )
    else:
        typer.echo(f"Demo data already up to date in {where}: {report.unchanged} records.")


class ImportFormat(StrEnum):
    auto = "auto"
    native = "native"
    atlas = "atlas"


@app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(help="The CSV file to import.", metavar="FILE")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    layout: Annotated[
        ImportFormat,
        typer.Option(
            "--format",
            help="native: our own CSV export; atlas: the Atlas of Surveillance download; "
            "auto: tell them apart by the header.",
        ),
    ] = ImportFormat.auto,
) -> int:
    """Import records from our own CSV export or the Atlas of Surveillance CSV, with a line
    per row: new, updated (and the columns that change), unchanged, or refused (and why).
    Importing the same file again changes nothing. Exit status: 0 when every row was imported
    or unchanged, 1 when any row was refused (the other rows are still imported, unless
    --dry-run), 2 when the file cannot be used at all."""
    from app.services.import_files import MAX_BYTES, ImportFileError, read_import
    from app.services.imports import apply_import, plan_import, report_lines, summary_line

    try:
        if file.stat().st_size > MAX_BYTES:
            raise ImportFileError(f"the file is larger than {MAX_BYTES // 2**20} MB")
        data = file.read_bytes()
        parsed = read_import(data, format=layout.value)
    except OSError as exc:
        typer.echo(f"safecity: error: cannot read {file}: {exc.strerror or exc}", err=True)
        return 2
    except ImportFileError as exc:
        typer.echo(f"safecity: error: {file}: {_one_line(str(exc))}", err=True)
        return 2
    settings = get_settings()
    engine, where = _open(settings)
    try:
        _require_latest_schema(engine, settings, where)
        with Session(engine) as session:
            plan = plan_import(session=session, file=parsed, filename=file.name)
            if dry_run:
                rows, verb = plan.rows, "Dry run of"
            else:
                rows = apply_import(session=session, plan=plan, actor=f"import {file.name}").rows
                verb = "Imported"
    finally:
        engine.dispose()
    kind = "our CSV layout" if parsed.format == "native" else "Atlas of Surveillance layout"
    tail = ": nothing was written" if dry_run else ""
    typer.echo(f"{verb} {file.name} ({kind}) into {where}{tail}.")
    typer.echo(summary_line(rows) + ".")
    if parsed.ignored_columns:
        typer.echo("Columns not used: " + ", ".join(parsed.ignored_columns) + ".")
    for line in report_lines(rows):
        typer.echo(line)
    return 1 if any(row.action == "refused" for row in rows) else 0


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="The staff member's email address (their login).")],
    name: Annotated[str, typer.Option(help="The name other staff see.")],
    role: Annotated[
        Role, typer.Option(help="moderator: queue and records; admin: also accounts and audit.")
    ] = Role.moderator,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of standard input instead of asking.",
        ),
    ] = False,
) -> None:
    """Add a staff account. The password is asked for twice without echo (or read from stdin);
    it is never an argument, so it stays out of shell history and process lists."""
    from app.services.accounts import AccountError, create_user, password_problem

    if password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not password:
            raise CommandError("no password on standard input")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if problem := password_problem(password):
        raise CommandError(f"password refused: {problem}")
    settings = get_settings()
    engine, where = _open(settings)
    try:
        _require_latest_schema(engine, settings, where)
        with Session(engine) as session:
            user = create_user(
                session=session, email=email, display_name=name, password=password,
                role=role.value,
            )
    except AccountError as exc:
        raise CommandError(f"cannot add the account: {exc}") from None
    finally:
        engine.dispose()
    typer.echo(f"Added {user.role} {user.email} ({user.display_name}) to {where}.")


@app.command("export")
def export(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Zip file (default: safecity-watch-data-DATE.zip)."),
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="Public origin for record links (default: SAFECITY_BASE_URL).")
    ] = "",
) -> None:
    """Write every public record as one zip: CSV, JSON, GeoJSON, data dictionary, licence."""
    from datetime import UTC, datetime

    from app.services.archive import record_url_for, write_archive

    settings = get_settings()
    origin = (base_url or settings.base_url).rstrip("/")
    target = output or Path(f"safecity-watch-data-{datetime.now(UTC).date().isoformat()}.zip")
    engine, where = _open(settings)
    try:
        _require_latest_schema(engine, settings, where)
        with Session(engine) as session:
            count = write_archive(
                session=session,
                target=target,
                record_url=record_url_for(origin),
                search_url=f"{origin}/deployments",
            )
    finally:
        engine.dispose()
    typer.echo(f"Wrote {count} records from {where} to {target}.")
    if not origin:
        typer.echo("Record links are relative: set SAFECITY_BASE_URL or pass --base-url.")


@app.command("backup")
def backup(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Zip file to create (default: safecity-backup-DATE-HHMM.zip)."
        ),
    ] = None,
) -> None:
    """Write the database and the evidence images as one zip, readable by you only.

    Safe while the site runs. It holds submitters' contact details: keep it safe.

    RESTORE.txt inside the zip says how to restore it."""
    from datetime import UTC, datetime

    from app.services.backup import BackupError, write_backup

    settings = get_settings()
    now = datetime.now(UTC)
    target = output or Path(f"safecity-backup-{now:%Y-%m-%d-%H%M}.zip")
    url = settings.resolved_database_url
    where = _describe(url)
    # Not _open(): connecting to a SQLite path that does not exist would create an empty file.
    try:
        summary = write_backup(database_url=url, data_dir=settings.data_dir, target=target, now=now)
    except BackupError as exc:
        raise CommandError(f"cannot back up {where}: {exc}") from None
    except OperationalError as exc:
        raise CommandError(f"cannot open the database {where}: {_reason(exc)}") from None
    size = summary.size_bytes
    shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(1, round(size / 1e3))} kB"
    typer.echo(
        f"Backed up {where} (schema {summary.schema_revision}) and {summary.images} evidence "
        f"images to {summary.target} ({shown}, readable by you only)."
    )


def _open(settings: Settings) -> tuple[Engine, str]:
    """An engine that has reached its database, and a printable name for it."""
    url = settings.resolved_database_url
    where = _describe(url)
    try:
        engine = create_db_engine(url)
    except OSError as exc:
        raise CommandError(
            f"cannot create the folder for the database {where}: {exc.strerror}"
        ) from None
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        raise CommandError(f"cannot open the database {where}: {_reason(exc)}") from None
    return engine, where


def _require_latest_schema(engine: Engine, settings: Settings, where: str) -> None:
    current = migrate.current_revision(engine)
    head = migrate.head_revision(settings.resolved_database_url)
    if current is None:
        raise CommandError(f"the database {where} has no tables yet; run `safecity db upgrade`")
    if current != head:
        raise CommandError(
            f"the database {where} is at schema {current} but this version needs {head}; "
            "run `safecity db upgrade`"
        )


def _describe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(malformed URL)"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _reason(exc: SQLAlchemyError) -> str:
    # The DBAPI's own message, without SQLAlchemy's statement dump and documentation link.
    orig = getattr(exc, "orig", None)
    return _one_line(str(orig if orig is not None else exc))


def explain(exc: Exception) -> str:
    """One line saying what went wrong, for any exception a command lets through."""
    if isinstance(exc, CommandError | ConfigError):
        return _one_line(str(exc))
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        name = "SAFECITY_" + "_".join(str(part) for part in first["loc"]).upper()
        return _one_line(f"invalid setting {name}: {first['msg']}")
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {_reason(exc)}"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return _one_line(f"cannot use{where}: {exc.strerror or exc}")
    return _one_line(f"unexpected {type(exc).__name__}: {exc}")


def main() -> None:
    # Not click's standalone mode: it would print usage errors as a multi-line box.
    try:
        status = app(prog_name="safecity", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:
        exc.show()  # the help text, as `--help` would print it
        sys.exit(exc.exit_code)
    except click_errors.ClickException as exc:
        message = _one_line(exc.format_message()).rstrip(".")
        if isinstance(exc, click_errors.UsageError) and exc.ctx is not None:
            message += f"; see `{exc.ctx.command_path} --help`"
        typer.echo(f"safecity: error: {message}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("safecity: aborted", err=True)
        sys.exit(1)
    except Exception as exc:
        typer.echo(f"safecity: error: {explain(exc)}", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
