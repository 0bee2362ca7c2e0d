"""`newsletter state backup | restore | verify | migrate | copy`: the state database."""

from __future__ import annotations

__all__ = ["COMMANDS", "state"]

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.project import confirm
from newsletter.errors import StateError
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.state import Connection
    from newsletter.state.restore import Verdict


@click.group()
def state() -> None:
    """Back up, restore, check, migrate and move the state database (suppression list,
    journal, archive, bounces).

    A send backs it up by itself before it starts and when it ends, into the
    backups folder (the newest 10 of those are kept).

    \b
    Example:
        newsletter state verify
    """


@state.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the backup to FILE (e.g. on another disk) instead of the backups folder.",
)
def backup(output: Path | None) -> None:
    """Copy the state database, while it is in use, to a new backup file.

    A backup is a SQLite file, also of a state on PostgreSQL (a copy of every table
    from one consistent snapshot). Backups in the backups folder that you make
    yourself are never deleted by the tool. Copy them (and secret.key) to another
    disk now and then: a backup on the same disk is lost with it.

    \b
    Example:
        newsletter state backup --output /mnt/usb/nyhetsbrev-state.sqlite3
    """
    from newsletter.audience.csvfile import display_path
    from newsletter.cli.project import open_state
    from newsletter.state import backup_folder
    from newsletter.state.backup import backup as make_backup
    from newsletter.state.backup import copy_to
    from newsletter.state.restore import verify

    config, db = open_state()
    if output is None:
        made = make_backup(db, backup_folder(config), reason="manual")
    else:
        made = copy_to(db, output)
    verdict = verify(made)
    click.echo(
        _(
            "{made}: backed up {suppression} suppression entries, {sends} send(s), {recipients} "
            "journal row(s)."
        ).format(
            made=display_path(made),
            suppression=verdict.suppression,
            sends=verdict.sends,
            recipients=verdict.recipients,
        )
    )


@state.command()
@click.argument("source", metavar="BACKUP", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def restore(source: Path, yes: bool) -> None:
    """Put the backup BACKUP in place of the state database.

    The backup is checked first. The database it replaces is backed up into the
    backups folder (a damaged file as a copy of its files), so a restore loses
    nothing. On PostgreSQL every table is replaced in one transaction; the web
    server goes on serving. Not while a send is running.

    \b
    Example:
        newsletter state restore .newsletter/backups/state-20260301T120000Z-after-send.sqlite3
    """
    from newsletter.audience.csvfile import display_path
    from newsletter.cli.project import load_project
    from newsletter.state import target
    from newsletter.state.restore import restore as put_back
    from newsletter.state.restore import verify

    config = load_project()
    where = target(config)
    _refuse_while_sending(config)
    found = verify(source)
    if not found.ok:
        raise StateError(
            _("{source}: cannot restore from it: {joined}.").format(
                source=source, joined="; ".join(found.problems)
            )
        )
    click.echo(
        _("Backup: {source}: {counts}").format(source=display_path(source), counts=_counts(found))
    )
    click.echo(
        _("Now:    {shown}: {counts}").format(
            shown=_shown(config), counts=_counts(_verdict(config))
        )
    )
    if not yes:
        confirm(_("Replace the state database with the backup?"), abort=True)
    kept = put_back(config, source)
    click.echo(
        _("Restored {shown} from {source}.").format(
            shown=_shown(config), source=display_path(source)
        )
    )
    if kept is not None:
        click.echo(_("The database it replaced is kept as {kept}.").format(kept=display_path(kept)))
    if not where.is_sqlite:
        click.echo(_("The web server and the other editors use the restored state from now on."))
    click.echo(_("Check the result with: newsletter state verify"))


def _refuse_while_sending(config: Config) -> None:
    from newsletter.delivery.sendlock import running_sends
    from newsletter.state import connect, target

    db = None if target(config).is_sqlite else connect(config)
    try:
        busy = running_sends(config, db)
    finally:
        if db is not None:
            db.close()
    if busy:
        raise StateError(
            _(
                "a send is running ({joined}): wait for it to finish or stop it, then restore."
            ).format(joined=", ".join(busy))
        )


def _shown(config: Config) -> str:
    from newsletter.audience.csvfile import display_path
    from newsletter.state import target

    where = target(config)
    return display_path(where.path) if where.path is not None else where.url


def _verdict(config: Config) -> Verdict:
    """What `verify` finds in CONFIG's state database (a SQLite file, or on the server)."""
    from newsletter.state import connect, target
    from newsletter.state.restore import verify, verify_database

    where = target(config)
    if where.path is not None:
        return verify(where.path)
    db = connect(config, schema="any")
    try:
        return verify_database(db)
    finally:
        db.close()


def _counts(verdict: Verdict) -> str:
    if not verdict.ok:
        return "; ".join(verdict.problems)
    return _(
        "{suppression} suppression entries, {sends} send(s), {recipients} journal row(s)"
    ).format(suppression=verdict.suppression, sends=verdict.sends, recipients=verdict.recipients)


@state.command(name="verify")
def verify_command() -> None:
    """Check the state database, its backups and the project's records against it.

    A SQLite file is read through (integrity check); on PostgreSQL the schema and the
    counts are checked (the server checks its own pages). Reads everything, changes
    nothing. Exits 1 when something needs doing.

    \b
    Example:
        newsletter state verify
    """
    from newsletter.audience.csvfile import display_path
    from newsletter.cli.project import load_project
    from newsletter.state import target
    from newsletter.state.backup import backups
    from newsletter.state.restore import verify

    config = load_project()
    where = target(config)
    exists = where.path is None or where.path.exists()
    verdict = _verdict(config) if exists else None
    problems = 0
    if verdict is None:
        click.echo(_("{shown}: there is no state database yet.").format(shown=_shown(config)))
        problems += _records_without_database(config)
    else:
        said = _("{path}: ok: {counts}") if verdict.ok else _("{path}: NOT OK: {counts}")
        click.echo(said.format(path=_shown(config), counts=_counts(verdict)))
        for warning in verdict.warnings:
            click.echo(_("  warning: {warning}").format(warning=warning))
        problems += not verdict.ok
    found = backups(where.backups)
    click.echo(
        _("Backups in {backups}: {n_found}").format(
            backups=display_path(where.backups), n_found=len(found)
        )
    )
    for number, item in enumerate(found):
        # The newest is read through; the others are listed (verify one with restore).
        state_of = f": {_counts(verify(item.path))}" if number == 0 else ""
        click.echo(f"  {display_path(item.path)} ({item.reason}){state_of}")
    if verdict is not None and verdict.ok:
        problems += _check_records(config)
    if problems:
        raise SystemExit(1)


def _records_without_database(config: Config) -> int:
    """1 when receipts, the outbox or backups show sends although there is no database."""
    import tempfile

    from newsletter.audience.csvfile import display_path
    from newsletter.delivery import continuity
    from newsletter.state import connect

    with tempfile.TemporaryDirectory() as folder:
        empty = connect(Path(folder) / "empty.sqlite3")
        try:
            found = continuity.missing(config, empty)
        finally:
            empty.close()
    for evidence in found:
        click.echo(f"  {display_path(evidence.path)}: {evidence.what}")
    if found:
        click.echo(
            _(
                "These show sends, so the database was lost: restore the newest backup with "
                "`newsletter state restore BACKUP` before anything else."
            )
        )
    return 1 if found else 0


def _check_records(config: Config) -> int:
    """Receipts, outbox and backups against the journal, and the key: the problems found."""
    from newsletter.audience.tokens import TokenSigner, load_secret
    from newsletter.delivery import continuity
    from newsletter.errors import SendError
    from newsletter.state import connect

    db = connect(config)
    problems = 0
    try:
        continuity.check(config, db)
    except SendError as exc:
        click.echo(str(exc))
        problems += 1
    try:
        continuity.check_key(config, db, TokenSigner(load_secret(config)))
    except SendError as exc:
        click.echo(str(exc))
        problems += 1
    finally:
        db.close()
    if not problems:
        click.echo(_("The journal knows every send the receipts, outbox and backups show."))
    return problems


@state.command()
def migrate() -> None:
    """Bring the state database's tables up to this version of newsletter.

    A SQLite file is brought up to date whenever a command opens it. A PostgreSQL
    database is shared: it is changed only by this command, run once from one
    machine after an upgrade (and once to create the tables in a new, empty
    database); every other command refuses to work on tables of another version.

    \b
    Example:
        newsletter state migrate
    """
    from newsletter.cli.project import load_project
    from newsletter.state import connect
    from newsletter.state.migrations import applied
    from newsletter.state.migrations import migrate as apply

    config = load_project()
    db = connect(config, schema="any")
    try:
        done = apply(db)
        newest = max(applied(db))
    finally:
        db.close()
    for migration in done:
        click.echo(
            _("Applied migration {number:03d} ({name}).").format(
                number=migration.number, name=migration.name
            )
        )
    click.echo(
        _("{shown}: the tables are current (migration {newest:03d}).").format(
            shown=_shown(config), newest=newest
        )
    )


@state.command(name="copy")
@click.option(
    "--to",
    "url",
    required=True,
    metavar="URL",
    help="The empty database to copy into: postgresql://USER@HOST:PORT/DATABASE "
    "(the password from NEWSLETTER_STATE_PASSWORD) or sqlite:///PATH.",
)
def copy_command(url: str) -> None:
    """Copy the whole state (suppression list, journal, archive, bounces) into
    another, empty database, and check that every table arrived whole.

    Moves a project from its SQLite file to a PostgreSQL database that the web
    server and every editor share. Stop `serve` and sends while it runs; afterwards
    set state_url to URL on every machine (docs/deploy.md). The source is not changed.

    \b
    Example:
        newsletter state copy --to postgresql://newsletter@db.example.org/newsletter
    """
    from newsletter.cli.project import open_state
    from newsletter.state import target
    from newsletter.state.copy import copy_state

    config, source = open_state()
    if str(target(config, url)) == str(target(config)):
        raise StateError(
            _("{url} is the state database itself: name another one with --to.").format(url=url)
        )
    destination = _destination(config, url)
    try:
        copied = copy_state(source, destination)
    finally:
        destination.close()
        source.close()
    for name, count in copied.target.items():
        click.echo(_("  {name}: {count} row(s)").format(name=name, count=count))
    click.echo(
        _(
            "Copied {shown} into {target}; every table has the rows of the source. Now set "
            "state_url (or NEWSLETTER_STATE_URL) to it on the web server and for every editor."
        ).format(shown=_shown(config), target=target(config, url))
    )


def _destination(config: Config, url: str) -> Connection:
    """The database URL names, with this version's tables (created in an empty one)."""
    from newsletter.state import connect
    from newsletter.state.migrations import applied, check_current, migrate

    db = connect(config, url=url, schema="any")
    try:
        if applied(db):
            check_current(db)
        else:
            migrate(db)
    except BaseException:
        db.close()
        raise
    return db


COMMANDS: list[click.Command] = [state]
