"""`newsletter state backup | restore | verify`: the state database and its backups."""

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
    from newsletter.state_backup import Verdict


@click.group()
def state() -> None:
    """Back up, restore and check the state database (suppression list, journal).

    A send backs it up by itself before it starts and when it ends, into the
    backups folder beside it (the newest 10 of those are kept).

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

    Backups in the backups folder that you make yourself are never deleted by the
    tool. Copy them (and secret.key) to another disk now and then: a backup on the
    same disk is lost with it.

    \b
    Example:
        newsletter state backup --output /mnt/usb/nyhetsbrev-state.sqlite3
    """
    from newsletter.audience.csvfile import display_path
    from newsletter.cli.project import open_state
    from newsletter.state import database_path
    from newsletter.state_backup import backup as make_backup
    from newsletter.state_backup import copy_to, verify

    config, db = open_state()
    if output is None:
        made = make_backup(db, database_path(config), reason="manual")
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

    The backup is checked first. The database it replaces is kept in the backups
    folder (a damaged one as a copy of its files), so a restore loses nothing. Not
    while a send is running.

    \b
    Example:
        newsletter state restore .newsletter/backups/state-20260301T120000Z-after-send.sqlite3
    """
    from newsletter.audience.csvfile import display_path
    from newsletter.cli.project import load_project
    from newsletter.delivery.sendlock import running_sends
    from newsletter.state import database_path
    from newsletter.state_backup import restore as put_back
    from newsletter.state_backup import verify

    config = load_project()
    if busy := running_sends(config):
        raise StateError(
            _(
                "a send is running ({joined}): wait for it to finish or stop it, then restore."
            ).format(joined=", ".join(busy))
        )
    found = verify(source)
    if not found.ok:
        raise StateError(
            _("{source}: cannot restore from it: {joined}.").format(
                source=source, joined="; ".join(found.problems)
            )
        )
    target = database_path(config)
    click.echo(
        _("Backup: {source}: {counts}").format(source=display_path(source), counts=_counts(found))
    )
    click.echo(
        _("Now:    {target}: {counts}").format(
            target=display_path(target), counts=_counts(verify(target))
        )
    )
    if not yes:
        confirm(_("Replace the state database with the backup?"), abort=True)
    kept = put_back(target, source)
    click.echo(
        _("Restored {target} from {source}.").format(
            target=display_path(target), source=display_path(source)
        )
    )
    if kept is not None:
        click.echo(_("The database it replaced is kept as {kept}.").format(kept=display_path(kept)))
    click.echo(_("Check the result with: newsletter state verify"))


def _counts(verdict: Verdict) -> str:
    if not verdict.ok:
        return "; ".join(verdict.problems)
    return _(
        "{suppression} suppression entries, {sends} send(s), {recipients} journal row(s)"
    ).format(suppression=verdict.suppression, sends=verdict.sends, recipients=verdict.recipients)


@state.command(name="verify")
def verify_command() -> None:
    """Check the state database, its backups and the project's records against it.

    Reads everything, changes nothing. Exits 1 when something needs doing.

    \b
    Example:
        newsletter state verify
    """
    from newsletter.audience.csvfile import display_path
    from newsletter.cli.project import load_project
    from newsletter.state import database_path
    from newsletter.state_backup import backup_folder, backups, verify

    config = load_project()
    path = database_path(config)
    verdict = verify(path) if path.exists() else None
    problems = 0
    if verdict is None:
        click.echo(_("{path}: there is no state database yet.").format(path=display_path(path)))
        problems += _records_without_database(config)
    else:
        verdict_line = _("{path}: ok: {counts}") if verdict.ok else _("{path}: NOT OK: {counts}")
        click.echo(verdict_line.format(path=display_path(path), counts=_counts(verdict)))
        for warning in verdict.warnings:
            click.echo(_("  warning: {warning}").format(warning=warning))
        problems += not verdict.ok
    found = backups(backup_folder(path))
    click.echo(
        _("Backups in {backup_folder}: {n_found}").format(
            backup_folder=display_path(backup_folder(path)), n_found=len(found)
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
    from newsletter.state import connect, database_path

    db = connect(database_path(config))
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
    if not problems:
        click.echo(_("The journal knows every send the receipts, outbox and backups show."))
    return problems


COMMANDS: list[click.Command] = [state]
