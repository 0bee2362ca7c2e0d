"""`newsletter check`: everything that would embarrass the editor, found before the send."""

from __future__ import annotations

__all__ = ["COMMANDS", "check_before_send", "echo_findings"]

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.audience.subscribers import Recipients
    from newsletter.config import Config
    from newsletter.content.model import Issue
    from newsletter.render.issue import RenderedIssue
    from newsletter.review.check.findings import Report


@click.command("check")
@click.argument(
    "issue_path", metavar="ISSUE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--list",
    "lists",
    multiple=True,
    metavar="NAME_OR_FILE",
    help="Check against this list (repeatable). Default: the newsletter's default list.",
)
@click.option(
    "--offline", is_flag=True, help="Skip what needs the network: links, DNS, the web side."
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON, for scripts.")
def check_command(issue_path: Path, lists: Sequence[str], offline: bool, as_json: bool) -> None:
    """Find what would embarrass you in ISSUE before it is sent.

    Visits every link and image, checks base_url and the running web side, the
    personal fields against the lists, weekdays and dates against the sessions,
    starter text, the sender's SPF, DKIM and DMARC records, the size and the spam
    score. Each finding is printed at its place (FILE:LINE:COL or the setting), errors
    first. Without a network, the online checks say so once. `newsletter send` runs
    the same checks: an error refuses the send. Exits 1 when there is an error.

    \b
    Example:
        newsletter check issues/medborgardialog-2020-06.yaml
        newsletter check issues/medborgardialog-2020-06.yaml --list styrelsen --offline
    """
    from newsletter.content.project import load
    from newsletter.delivery.precheck import sample_message
    from newsletter.review.check.run import CheckOptions, check_issue

    loaded = load(issue_path)
    options = CheckOptions(lists=lists, offline=offline)
    report = check_issue(issue_path, options, loaded=loaded, sample=sample_message(loaded[1]))
    if as_json:
        click.echo(report.as_json())
    else:
        echo_findings(report)
        click.echo(report.summary())
    raise SystemExit(1 if report.errors else 0)


def echo_findings(report: Report, /) -> None:
    """The findings, errors first, each on its line (on stderr: they are diagnostics)."""
    for line in report.lines():
        click.echo(line, err=True)


def check_before_send(
    path: Path,
    issue: Issue,
    config: Config,
    rendered: RenderedIssue,
    audience: Recipients | None,
    *,
    offline: bool,
    test: bool,
) -> int:
    """Run `newsletter check`'s checks and show what they found: the number of errors."""
    from newsletter.delivery import precheck
    from newsletter.review.check.run import CheckOptions

    options = CheckOptions(offline=offline)
    report = precheck.check_before_send(path, issue, config, rendered, audience, options)
    if test:
        report.only_warn()
    echo_findings(report)
    errors = len(report.errors)
    if errors:
        click.echo(
            _(
                "{report} The send is refused: nothing was recorded or sent. Fix the errors, then"
                " run the command again (`newsletter check {path}` lists them)."
            ).format(report=report.summary(), path=path),
            err=True,
        )
    elif report.findings:
        click.echo(report.summary(), err=True)
    return errors


COMMANDS: list[click.Command] = [check_command]
