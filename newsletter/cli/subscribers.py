"""`newsletter subscribers ...`: check and edit lists, and keep the suppression list.

The list commands (check, add, remove, import, export) are here, the suppression
commands in cli.suppression; the group is a little over our usual length because each
command's help text with its example is part of it.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "subscribers"]

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.audience import suppression
from newsletter.cli.list_report import echo_counts, echo_located, in_row_order
from newsletter.cli.project import open_state
from newsletter.cli.suppression import (
    forget,
    newsletter_key,
    suppress_,
    suppressed,
    unsuppress,
)
from newsletter.errors import SubscriberError
from newsletter.translate import _, ngettext

if TYPE_CHECKING:
    from newsletter.audience.listfile import ListFile
    from newsletter.config import Config
    from newsletter.state import Connection


@click.group()
def subscribers() -> None:
    """Check and edit subscriber lists, and keep the suppression list.

    A LIST is a list name (subscribers/NAME.csv) or the path of a CSV file.

    \b
    Example:
        newsletter subscribers check medborgardialog
    """


@subscribers.command()
@click.argument("lists", nargs=-1, metavar="LIST...")
@click.option(
    "--newsletter", "key", metavar="KEY", help="Count suppression for this newsletter's sends."
)
@click.option("--check-dns", is_flag=True, help="Also ask DNS whether each domain takes mail.")
def check(lists: Sequence[str], key: str | None, check_dns: bool) -> None:
    """Count the subscribers of LISTs after merging and suppression; show bad rows.

    Without LISTs, every list in the subscribers folder, and with --newsletter its
    confirmed sign-ups from the web (the list `signups`). Unsubscribes count for
    --newsletter, or for the one newsletter whose default list is among LISTs.
    Exits 1 when any row is bad.

    \b
    Example:
        newsletter subscribers check medborgardialog regional-utveckling
        newsletter subscribers check --newsletter medborgardialog
    """
    from newsletter.audience import signups
    from newsletter.audience.subscribers import available_lists, recipients
    from newsletter.cli.signup_report import echo_signups, takes_signups

    config, db = open_state()
    names = list(lists) or available_lists(config)
    key = key or _newsletter_of(config, names)
    if not lists and key and takes_signups(config, db, key):
        names.append(signups.LIST_NAME)
    if not names:
        raise SubscriberError(
            _("{subscribers_dir}: there are no lists (*.csv) yet.").format(
                subscribers_dir=config.subscribers_dir
            )
        )
    if signups.LIST_NAME in names and not key:
        raise click.UsageError(
            _(
                "The list {list_name!r} (confirmed sign-ups) is a newsletter's own: name the "
                "newsletter with --newsletter KEY."
            ).format(list_name=signups.LIST_NAME)
        )
    found = recipients(
        config, db, names, newsletter=newsletter_key(config, key), check_dns=check_dns
    )
    echo_located(in_row_order(found))
    echo_counts(found, key)
    echo_signups(config, db, key)
    if found.problems:
        bad = len(found.problems)
        click.echo(
            ngettext(
                "{n_problems} bad row will be left out of sends. Fix it in the file (the line "
                "numbers are those Excel shows as row numbers).",
                "{n_problems} bad rows will be left out of sends. Fix them in the file (the "
                "line numbers are those Excel shows as row numbers).",
                bad,
            ).format(n_problems=bad),
            err=True,
        )
        raise SystemExit(1)


def _newsletter_of(config: Config, names: Sequence[str]) -> str | None:
    """The one newsletter whose default list is among NAMES, if exactly one is."""
    from newsletter.audience.signups import LIST_NAME
    from newsletter.audience.subscribers import resolve_list

    paths = {resolve_list(config, name).resolve() for name in names if name != LIST_NAME}
    if not paths and len(config.newsletters) == 1:
        return next(iter(config.newsletters))
    keys = [
        key
        for key, newsletter in config.newsletters.items()
        if any(
            resolve_list(config, name, must_exist=False).resolve() in paths
            for name in newsletter.default_lists
        )
    ]
    return keys[0] if len(keys) == 1 else None


@subscribers.command()
@click.argument("list_name", metavar="LIST")
@click.argument("address")
@click.option("--name", default="", help="The subscriber's name.")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE", help="A personal field.")
def add(list_name: str, address: str, name: str, fields: Sequence[str]) -> None:
    """Add ADDRESS to LIST (created if need be), or update its name and fields.

    \b
    Example:
        newsletter subscribers add medborgardialog anna@example.org \\
            --name "Anna Svensson" --field kommun=Linköping
    """
    from newsletter.audience.addresses import given_address
    from newsletter.audience.listfile import ListFile
    from newsletter.audience.subscribers import resolve_list

    config, db = open_state()
    listfile = ListFile.open(resolve_list(config, list_name, must_exist=False), create=True)
    email = given_address(address)
    done = listfile.add(email, name=" ".join(name.split()), fields=_fields(fields))
    if done != "unchanged":
        _save(listfile)
    said = {
        "added": _("{label}: {email} added."),
        "updated": _("{label}: {email} updated."),
        "unchanged": _("{label}: {email} unchanged."),
    }
    click.echo(said[done].format(label=listfile.label, email=email))
    _warn_if_suppressed(db, email)


def _save(listfile: ListFile) -> None:
    before = listfile.table.format
    after = listfile.save()
    if after.encoding != before.encoding:
        click.echo(
            _(
                "Note: {label} is now saved as UTF-8 (with BOM): {encoding} cannot hold every "
                "name in it. Excel opens it the same way."
            ).format(label=listfile.label, encoding=before.encoding),
            err=True,
        )


def _fields(pairs: Sequence[str]) -> dict[str, str]:
    from newsletter.audience.columns import EMAIL, field_key

    fields = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                _("{pair!r}: write it as KEY=VALUE, e.g. kommun=Uppsala").format(pair=pair)
            )
        if field_key(key) in EMAIL:
            raise click.BadParameter(
                _("{pair!r}: give the address as ADDRESS, not as a field").format(pair=pair)
            )
        fields[key.strip()] = value.strip()
    return fields


def _warn_if_suppressed(db: Connection, email: str) -> None:
    found = [
        e for e in suppression.entries(db) if e.address_hash == suppression.address_hash(email)
    ]
    for entry in found:
        note = _(
            "Note: {email} is suppressed for every newsletter ({reason}, {created_at}) and will "
            "not be mailed; `newsletter subscribers unsuppress {email}` lifts that."
        )
        if entry.newsletter:
            note = _(
                "Note: {email} is suppressed for newsletter {newsletter} ({reason}, {created_at}) "
                "and will not be mailed; `newsletter subscribers unsuppress {email}` lifts that."
            )
        click.echo(note.format(email=email, newsletter=entry.newsletter, reason=entry.reason,
                               created_at=entry.created_at), err=True)  # fmt: skip


@subscribers.command()
@click.argument("list_name", metavar="LIST")
@click.argument("address")
def remove(list_name: str, address: str) -> None:
    """Remove ADDRESS from LIST (every row it is on).

    To make sure it is never mailed again, from any list, use `suppress` instead.

    \b
    Example:
        newsletter subscribers remove medborgardialog anna@example.org
    """
    from newsletter.audience.listfile import ListFile
    from newsletter.audience.subscribers import resolve_list

    config, _db = open_state()
    listfile = ListFile.open(resolve_list(config, list_name))
    lines = listfile.remove(address.strip())
    if not lines:
        raise SubscriberError(
            _("{label}: {address} is not on this list.").format(
                label=listfile.label, address=address.strip()
            )
        )
    _save(listfile)
    click.echo(
        _("{label}: removed {address} (line {join}).").format(
            label=listfile.label, address=address.strip(), join=_join(lines)
        )
    )


def _join(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers)


@subscribers.command(name="import")
@click.argument("list_name", metavar="LIST")
@click.argument("csv_file", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def import_(list_name: str, csv_file: Path, dry_run: bool) -> None:
    """Merge the export CSV into LIST: new rows added, known ones updated.

    Non-empty values in CSV replace those in LIST; bad rows in CSV are reported and
    skipped. LIST is created if it does not exist.

    \b
    Example:
        newsletter subscribers import medborgardialog ~/Hämtade/anmalningar.csv
    """
    from newsletter.audience.listfile import ListFile
    from newsletter.audience.subscribers import load_list, resolve_list

    config, db = open_state()
    listfile = ListFile.open(resolve_list(config, list_name, must_exist=False), create=True)
    export = load_list(csv_file)
    report = listfile.merge(export)
    echo_located([(w, _("warning")) for w in report.warnings])
    echo_located([(r, _("rejected")) for r in report.rejected])
    if not dry_run and (report.new or report.updated):
        _save(listfile)
    held = suppression.suppressed_hashes(db, newsletter=suppression.ALL)
    blocked = sum(suppression.address_hash(s.email) in held for s in export.subscribers)
    done = _(
        "{label}: {new} new, {updated} updated, {unchanged} unchanged, {rejected} rejected "
        "row(s) were imported."
    )
    if dry_run:
        done = _(
            "{label}: {new} new, {updated} updated, {unchanged} unchanged, {rejected} rejected "
            "row(s) would be imported."
        )
    click.echo(done.format(label=listfile.label, new=len(report.new), updated=len(report.updated),
                           unchanged=report.unchanged, rejected=len(report.rejected)))  # fmt: skip
    if blocked:
        click.echo(
            _("{blocked} of them are suppressed for every newsletter: not mailed.").format(
                blocked=blocked
            )
        )


@subscribers.command()
@click.argument("list_name", metavar="[LIST]", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to FILE, not the screen.",
)
@click.option(
    "--newsletter", "key", metavar="KEY", help="Leave out who is suppressed for this newsletter."
)
@click.option(
    "--address",
    metavar="ADDRESS",
    help="Everything held on ADDRESS (data-protection request), JSON.",
)
def export(list_name: str | None, output: Path | None, key: str | None, address: str) -> None:
    """Write LIST's valid, deduplicated subscribers as CSV, or all data on one --address.

    The list `signups` is a newsletter's confirmed sign-ups from the web, with when and
    to which consent statement they agreed (give --newsletter). To a file (-o), CSV is
    written for Excel (UTF-8 with BOM); to the screen, plain. --address writes
    everything held on one address as JSON, sign-ups and their consent included.

    \b
    Example:
        newsletter subscribers export medborgardialog -o medborgardialog-rensad.csv
        newsletter subscribers export signups --newsletter medborgardialog -o webb.csv
        newsletter subscribers export --address anna@example.org -o anna.json
    """
    from newsletter.audience import privacy, signups
    from newsletter.audience.csvfile import display_path, excel_safe
    from newsletter.audience.subscribers import load_list, resolve_list
    from newsletter.cli.signup_report import signup_rows

    config, db = open_state()
    if bool(list_name) == bool(address):
        raise click.UsageError(_("Give either a LIST or --address ADDRESS."))
    if address:
        data = json.dumps(privacy.address_report(config, db, address), ensure_ascii=False, indent=2)
        _output(data + "\n", output)
        return
    assert list_name is not None
    held = (
        suppression.suppressed_hashes(db, newsletter=config.newsletter(key).key) if key else set()
    )
    if list_name == signups.LIST_NAME:
        header, rows = signup_rows(config, db, key, held)
    else:
        loaded = load_list(resolve_list(config, list_name))
        echo_located([(p, _("left out")) for p in loaded.problems])
        keep = [s for s in loaded.subscribers if suppression.address_hash(s.email) not in held]
        header = ["email", "name", *loaded.headers.values()]
        rows = [[s.email, s.name, *s.fields.values()] for s in keep]
    if output:
        _write_export(output, header, rows)
        click.echo(
            _("{output}: {n_rows} subscriber(s) written.").format(
                output=display_path(output), n_rows=len(rows)
            ),
            err=True,
        )
    else:
        buffer = io.StringIO()
        safe = ([excel_safe(cell) for cell in row] for row in [header, *rows])
        csv.writer(buffer, lineterminator="\n").writerows(safe)
        click.echo(buffer.getvalue(), nl=False)


def _write_export(output: Path, header: list[str], rows: list[list[str]]) -> None:
    from newsletter.audience.csvfile import CsvFormat, write
    from newsletter.fileio import describe_os_error

    try:
        write(output, header, rows, CsvFormat(bom=True, delimiter=";", newline="\r\n"))
    except OSError as exc:
        raise SubscriberError(
            _("{output}: cannot write it: {reason}.").format(
                output=output, reason=describe_os_error(exc)
            )
        ) from None
    output.chmod(0o600)  # an export holds personal data, whatever the file was before


def _output(text: str, output: Path | None) -> None:
    from newsletter.audience.csvfile import display_path
    from newsletter.fileio import describe_os_error, replace_atomically

    if output is None:
        click.echo(text, nl=False)
        return
    try:
        replace_atomically(output, text.encode("utf-8"))  # 0600: it holds personal data
    except OSError as exc:
        raise SubscriberError(
            _("{output}: cannot write it: {reason}.").format(
                output=output, reason=describe_os_error(exc)
            )
        ) from None
    click.echo(
        _("{output}: written; it holds personal data.").format(output=display_path(output)),
        err=True,
    )


for _command in (suppress_, unsuppress, suppressed, forget):
    subscribers.add_command(_command)

COMMANDS: list[click.Command] = [subscribers]
