"""`newsletter serve` and `newsletter archive build | update`: the public web side."""

from __future__ import annotations

__all__ = ["COMMANDS", "archive", "serve"]

import contextlib
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.project import load_issue, open_state
from newsletter.errors import NewsletterError
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.config import Config


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes answering requests side by side (most useful with the state on PostgreSQL).",
)
@click.option(
    "--new-key",
    is_flag=True,
    help="Start with a key other than the last send's, on purpose: the unsubscribe links "
    "in every message sent before stop working.",
)
def serve(host: str, port: int, workers: int, new_key: bool) -> None:
    """Serve sign-up, one-click unsubscribe, the web versions of issues and the archive.

    Reads newsletter.toml and the state database, as the other commands do. Run it
    behind a reverse proxy that terminates TLS, with base_url set to the proxy's
    public https address (see docs/web.md). With the state on PostgreSQL, several
    workers and several hosts can serve the same database (docs/deploy.md).

    \b
    Example:
        newsletter serve --host 127.0.0.1 --port 8000 --workers 4
    """
    from newsletter.audience.tokens import TokenSigner, load_secret
    from newsletter.delivery.continuity import check_key
    from newsletter.urls import signup_url
    from newsletter.web import create_app
    from newsletter.web.server import make_server

    config, db = open_state()  # a database that cannot be used is reported now, plainly
    key_source = _secret_source(config)  # before load_secret makes a key
    # Links in mail already sent are checked with this key: refuse one that cannot.
    check_key(config, db, TokenSigner(load_secret(config)), new_key=new_key)
    db.close()
    listener = _listen(host, port)
    # An IPv6 address stands in brackets in a URL (RFC 3986): http://[::1]:8000/.
    where = f"[{host}]" if ":" in host else host
    processes = " " + _("in {n} worker processes").format(n=workers) if workers > 1 else ""
    serving = _(
        "Serving {n} newsletter(s) at http://{where}:{port}/{processes} for the public address "
        "{base_url}/. Press Ctrl+C to stop."
    )
    click.echo(serving.format(n=len(config.newsletters), where=where, port=port,
                              processes=processes, base_url=config.base_url))  # fmt: skip
    click.echo(key_source)
    for key, newsletter in config.newsletters.items():
        if newsletter.signup:
            url = signup_url(config, key, language=newsletter.language)
            click.echo(_("Sign-up form of {key}: {url}").format(key=key, url=url))

    def run() -> None:
        app = create_app(config)
        make_server(app, trusted_proxies=config.web.trusted_proxies).run(sockets=[listener])

    if workers > 1:
        from newsletter.web.workers import run_workers

        if run_workers(run, workers):
            raise NewsletterError(
                _("a worker process failed as it started; see the log above.")
            )  # fmt: skip
    else:
        # uvicorn finishes the requests under way, then passes Ctrl+C on: a normal stop.
        with contextlib.suppress(KeyboardInterrupt):
            run()
    click.echo(_("Stopped."))


def _secret_source(config: Config) -> str:
    from newsletter.audience.tokens import SECRET_FILE

    # A server started without the secret the sends used would refuse every link.
    if config.secret is not None:
        return _("Unsubscribe links are checked with the key in NEWSLETTER_SECRET.")
    path = config.state_dir / SECRET_FILE
    if path.exists():
        return _("Unsubscribe links are checked with the key in {path}.").format(path=path)
    return _(
        "Warning: no key for unsubscribe links yet; a new one is made in {path}. Links in "
        "messages sent with another key (NEWSLETTER_SECRET, another state folder) will not "
        "work: give this server the same key as `newsletter send`."
    ).format(path=path)


def _listen(host: str, port: int) -> socket.socket:
    from newsletter.web.server import listen

    try:
        return listen(host, port)
    except OSError as exc:
        raise NewsletterError(
            _(
                "cannot listen on {host}:{port}: {reason}. If another program uses the port, "
                "stop it or choose another with --port."
            ).format(host=host, port=port, reason=exc.strerror)
        ) from None


@click.group()
def archive() -> None:
    """The public archive of sent issues: as static files, and corrections.

    \b
    Example:
        newsletter archive build public/
        newsletter archive update issues/medborgardialog-2020-06.yaml
    """


@archive.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def build(directory: Path) -> None:
    """Write the web versions, archive pages, .ics files and feeds to DIRECTORY.

    Upload DIRECTORY to any web server at the address in base_url. Unsubscribing
    still needs `newsletter serve` at that address (under /u/).

    \b
    Example:
        newsletter archive build public/
    """
    from newsletter.web.build import build_site

    config, db = open_state()
    built = build_site(config, db, directory)
    click.echo(
        _(
            "Wrote {files} files to {directory}: {newsletters} newsletter(s), {issues} "
            "issue(s), {calendar} calendar file(s), and a feed per newsletter."
        ).format(files=built.files, directory=directory, newsletters=built.newsletters,
                 issues=built.issues, calendar=built.calendar_files)
    )  # fmt: skip
    click.echo(
        _(
            "Publish the folder at {base_url}/. Unsubscribe links ({base_url}/u/...) still "
            "need `newsletter serve` running there: a static host cannot record them."
        ).format(base_url=config.base_url)
    )


@archive.command()
@click.argument(
    "issue_path", metavar="ISSUE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def update(issue_path: Path) -> None:
    """Publish the corrected ISSUE as its web version, marked "Rättad DATE".

    After a send, fix the issue file, then run this: the web version (the archive,
    `newsletter serve`, the feed) shows the file as it is now, with a visible note
    "Rättad" and today's date ("Corrected" in English issues). The mail already sent
    stays as it was, and its receipt keeps the SHA-256 of the file it was sent from.
    Run `newsletter archive build` again if you publish static files.

    \b
    Example:
        newsletter archive update issues/medborgardialog-2020-06.yaml
    """
    import datetime as dt

    from newsletter.delivery import archive as archived
    from newsletter.delivery import journal, runs
    from newsletter.render.issue import render_issue
    from newsletter.state import connect
    from newsletter.urls import issue_url

    issue, config = load_issue(issue_path)
    db = connect(config)
    if archived.issue(db, issue.newsletter, issue.slug) is None:
        raise NewsletterError(
            _(
                "{path}: {newsletter}/{slug} has not been sent, so there is no web version to "
                "correct; it is published when it is sent."
            ).format(path=issue_path, newsletter=issue.newsletter, slug=issue.slug)
        )
    now = runs.file_sha256(issue_path)
    sent = runs.sent_sha256(db, issue.newsletter, issue.slug)
    previous = archived.correction(db, issue.newsletter, issue.slug)
    latest = previous.issue_sha256 if previous else sent
    if now == latest:
        click.echo(_("{path} is unchanged since it was published: nothing to correct.").format(
            path=issue_path))  # fmt: skip
        return
    today = dt.date.today()
    archived.correct(db, config, render_issue(issue, config), issue_sha256=now, today=today)
    send = journal.find(db, issue.newsletter, issue.slug)
    click.echo(
        _("Published the corrected web version of {newsletter}/{slug}, marked as corrected on "
          "{date}: {url}").format(newsletter=issue.newsletter, slug=issue.slug,
                                  date=today.isoformat(),
                                  url=issue_url(config, issue.newsletter, issue.slug))
    )  # fmt: skip
    if send is not None and sent:
        click.echo(
            _("The mail sent {started} is unchanged; its receipt keeps the SHA-256 of the file "
              "it was sent from: {sha256}").format(started=send.created_at, sha256=sent)
        )  # fmt: skip


COMMANDS: list[click.Command] = [serve, archive]
