"""`newsletter serve` and `newsletter archive build`: the public web side."""

from __future__ import annotations

__all__ = ["COMMANDS", "archive", "serve"]

import contextlib
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.suppression import open_state
from newsletter.errors import NewsletterError

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
    processes = f" in {workers} worker processes" if workers > 1 else ""
    click.echo(
        f"Serving {len(config.newsletters)} newsletter(s) at http://{where}:{port}/{processes} "
        f"for the public address {config.base_url}/. Press Ctrl+C to stop."
    )
    click.echo(key_source)
    for key, newsletter in config.newsletters.items():
        if newsletter.signup:
            click.echo(
                f"Sign-up form of {key}: {signup_url(config, key, language=newsletter.language)}"
            )

    def run() -> None:
        app = create_app(config)
        make_server(app, trusted_proxies=config.web.trusted_proxies).run(sockets=[listener])

    if workers > 1:
        from newsletter.web.workers import run_workers

        if run_workers(run, workers):
            raise NewsletterError("a worker process failed as it started; see the log above.")
    else:
        # uvicorn finishes the requests under way, then passes Ctrl+C on: a normal stop.
        with contextlib.suppress(KeyboardInterrupt):
            run()
    click.echo("Stopped.")


def _secret_source(config: Config) -> str:
    from newsletter.audience.tokens import SECRET_FILE

    # A server started without the secret the sends used would refuse every link.
    if config.secret is not None:
        return "Unsubscribe links are checked with the key in NEWSLETTER_SECRET."
    path = config.state_dir / SECRET_FILE
    if path.exists():
        return f"Unsubscribe links are checked with the key in {path}."
    return (
        f"Warning: no key for unsubscribe links yet; a new one is made in {path}. Links in "
        "messages sent with another key (NEWSLETTER_SECRET, another state folder) will not "
        "work: give this server the same key as `newsletter send`."
    )


def _listen(host: str, port: int) -> socket.socket:
    from newsletter.web.server import listen

    try:
        return listen(host, port)
    except OSError as exc:
        raise NewsletterError(
            f"cannot listen on {host}:{port}: {exc.strerror}. If another program uses the "
            "port, stop it or choose another with --port."
        ) from None


@click.group()
def archive() -> None:
    """The public archive of sent issues, as static files.

    \b
    Example:
        newsletter archive build public/
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
        f"Wrote {built.files} files to {directory}: {built.newsletters} newsletter(s), "
        f"{built.issues} issue(s), {built.calendar_files} calendar file(s), and a feed "
        "per newsletter."
    )
    click.echo(
        f"Publish the folder at {config.base_url}/. Unsubscribe links ({config.base_url}/u/...) "
        "still need `newsletter serve` running there: a static host cannot record them."
    )


COMMANDS: list[click.Command] = [serve, archive]
