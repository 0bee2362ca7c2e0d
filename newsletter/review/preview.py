"""`newsletter preview`: the rendered issue on localhost, re-rendered on every save.

The page shows the e-mail at desktop (600 px) and mobile (375 px) width side by side,
and the text version. While the issue file is invalid it shows the located errors.
"""

from __future__ import annotations

__all__ = ["SAMPLE", "Preview", "serve"]

import contextlib
import html
import os
import socket
import sys
import threading
import webbrowser
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from watchfiles import watch

from newsletter import urls
from newsletter.config import Config, find_config, load_config
from newsletter.content.project import load
from newsletter.errors import NewsletterError
from newsletter.render.issue import RenderedIssue, render_issue
from newsletter.render.personalize import Personal, Personalizer
from newsletter.render.templating import template_folders
from newsletter.review.reader import SAMPLE, Reader, reader
from newsletter.translate import _, language

_PAGE = (Path(__file__).parent / "preview.html").read_text(encoding="utf-8")
_WATCHED = (".yaml", ".yml", ".toml", ".mjml", ".j2", ".html")


@dataclass(frozen=True)
class _State:
    version: int
    rendered: RenderedIssue | None = None
    config: Config | None = None
    error: str = ""
    reader: Reader = SAMPLE


class Preview:
    """The rendered issue at PATH, kept current by refresh()."""

    def __init__(
        self,
        path: Path,
        /,
        *,
        base_url: str,
        address: str | None = None,
        lists: Sequence[str] = (),
        config_path: Path | None = None,
    ) -> None:
        self.path = path
        self.base_url = base_url
        self.address, self.lists = address, lists
        self.config_path = config_path
        self.state = _State(0)
        self.refresh()

    def refresh(self) -> None:
        """Load and render again; on a mistake in the files, keep the error to show."""
        version = self.state.version + 1
        try:
            issue, config = load(self.path, config_path=self.config_path)
            # Calendar links point at this server, so they work in the preview.
            config = config.model_copy(update={"base_url": self.base_url})
            whom = reader(config, issue.newsletter, address=self.address, lists=self.lists)
            self.state = _State(version, render_issue(issue, config), config, reader=whom)
        except NewsletterError as exc:
            self.state = _State(version, error=str(exc))
        except Exception as exc:  # a bug must not stop the preview from following saves
            message = _("Unexpected error (please report it): {error}").format(error=repr(exc))
            self.state = _State(version, error=message)

    def watched(self) -> list[Path]:
        """The issue's folder, the configuration and the template folders."""
        paths = [self.path.resolve().parent]
        if config := self.state.config or _config_or_none(self.path, self.config_path):
            paths += [config.path.parent] if config.path else []
            with contextlib.suppress(NewsletterError):
                for newsletter in config.newsletters.values():
                    paths += template_folders(config, newsletter)
        return list(dict.fromkeys(path.resolve() for path in paths if path.is_dir()))

    def email(self, state: _State | None = None) -> tuple[str, str]:
        """(html, text) as the reader (a subscriber from the lists) gets them."""
        state = state or self.state  # one snapshot: the watcher may swap it meanwhile
        rendered, config = state.rendered, state.config
        assert rendered is not None and config is not None
        issue = rendered.issue
        web_url = urls.issue_url(config, issue.newsletter, issue.slug)
        personal = Personal(
            email=state.reader.email,
            name=state.reader.name,
            fields=state.reader.fields,
            unsubscribe_url=f"{config.base_url}/u/preview",
            web_url=web_url,
        )
        return Personalizer(rendered).personalize(personal)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self._page),
                Route("/version", self._version),
                Route("/email.html", self._email_html),
                Route("/email.txt", self._email_text),
                Route("/{newsletter}/{slug}/{filename:str}", self._calendar),
            ],
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        stop = threading.Event()
        # A daemon thread: rendering stays off the event loop, and a stopped preview
        # exits at once instead of waiting for the file watcher to notice.
        threading.Thread(target=self._watch, args=(stop,), daemon=True).start()
        yield
        stop.set()

    def _watch(self, stop: threading.Event) -> None:
        def relevant(change: object, path: str) -> bool:
            return path.endswith(_WATCHED)

        # A short step: the page shows a saved change well within a second.
        for _changes in watch(
            *self.watched(),
            watch_filter=relevant,
            stop_event=stop,
            debounce=300,
            step=30,
            rust_timeout=500,
            raise_interrupt=False,
            # The folders themselves only: newsletter.toml's folder holds the whole
            # project, .venv and all, and templates are never in subfolders.
            recursive=False,
        ):
            self.refresh()

    async def _page(self, request: Request) -> Response:
        state = self.state
        page = _PAGE.replace("{{ lang }}", language()).replace(
            "{{ title }}", html.escape(_("Preview – newsletter"))
        )
        return HTMLResponse(page.replace("{{ body }}", self._body(state)))

    def _body(self, state: _State) -> str:
        title = html.escape(str(self.path))
        if state.rendered is None:
            bad = _("Not rendered: fix the problems below and save; this page updates by itself.")
            return (
                f'<header><h1>{title}</h1><p class="bad">{html.escape(bad)}</p></header>'
                f'<pre class="errors" role="alert">{html.escape(state.error)}</pre>'
                f"<script>const VERSION = {state.version};</script>"
            )
        rendered = state.rendered
        size = rendered.html_size() / 1024
        # The preview's own calendar links are http://127.0.0.1: not the editor's to fix.
        warnings = [w for w in rendered.warnings if self.base_url not in w]
        listed = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        calendar = " ".join(
            f'<a href="{html.escape(_calendar_url(state, name))}">{html.escape(name)}</a>'
            for name in rendered.calendar
        )
        line = _("{path} · e-mail HTML {size:.1f} KB encoded (limit 100 KB) · as {reader} gets it")
        line = line.format(path=str(self.path), size=size, reader=_whom(state.reader))
        files = _("{n} calendar files").format(n=len(rendered.calendar))
        desktop, mobile, text = _("Desktop, 600 px"), _("Mobile, 375 px"), _("Text version")
        return (
            f"<header><h1>{html.escape(rendered.issue.subject_line)}</h1>"
            f"<p>{html.escape(line)}</p>"
            f"{'<ul class=warnings>' + listed + '</ul>' if listed else ''}"
            f"{_details(html.escape(files), calendar)}</header>"
            f"<main><figure><figcaption>{html.escape(desktop)}</figcaption>"
            f'<iframe id="desktop" title="{html.escape(desktop)}" src="/email.html" width="600">'
            "</iframe></figure>"
            f"<figure><figcaption>{html.escape(mobile)}</figcaption>"
            f'<iframe id="mobile" title="{html.escape(mobile)}" src="/email.html" width="375">'
            "</iframe></figure>"
            f"<figure><figcaption>{html.escape(text)}</figcaption>"
            f'<pre id="text">{html.escape(self.email(state)[1])}</pre></figure></main>'
            f"<script>const VERSION = {state.version};</script>"
        )

    async def _version(self, request: Request) -> Response:
        return JSONResponse({"version": self.state.version})

    async def _email_html(self, request: Request) -> Response:
        state = self.state
        if state.rendered is None:
            return PlainTextResponse(state.error, status_code=409)
        return HTMLResponse(self.email(state)[0])

    async def _email_text(self, request: Request) -> Response:
        state = self.state
        if state.rendered is None:
            return PlainTextResponse(state.error, status_code=409)
        return PlainTextResponse(self.email(state)[1])

    async def _calendar(self, request: Request) -> Response:
        rendered = self.state.rendered
        ics = rendered.calendar.get(request.path_params["filename"]) if rendered else None
        if ics is None:
            return PlainTextResponse(_("No such calendar file in this issue."), status_code=404)
        return Response(ics, media_type="text/calendar; charset=utf-8")


def _whom(reader: Reader) -> str:
    name = f"{reader.name} <{reader.email}>" if reader.name else reader.email
    if reader.source:
        return f"{name} ({reader.source})"
    return _("{name} (a made-up reader: the list has nobody)").format(name=name)


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>{body}</details>" if body else ""


def _calendar_url(state: _State, name: str) -> str:
    assert state.rendered is not None and state.config is not None
    issue = state.rendered.issue
    return urls.calendar_url(state.config, issue.newsletter, issue.slug, name)


def _config_or_none(path: Path, config_path: Path | None) -> Config | None:
    try:
        return load_config(config_path or find_config(path.resolve().parent))
    except NewsletterError:
        return None


def _open_browser(url: str) -> None:
    # Without a desktop (over SSH, in a container) webbrowser would start a text browser
    # such as lynx in this very terminal: better to leave it to the editor.
    desktop = sys.platform in {"darwin", "win32"} or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")
    )
    if not (desktop and webbrowser.open(url)):
        print(_("Open {url} in your browser.").format(url=url), flush=True)


def serve(
    path: Path,
    /,
    *,
    port: int = 8040,
    open_browser: bool = True,
    address: str | None = None,
    lists: Sequence[str] = (),
    config_path: Path | None = None,
) -> None:
    """Serve the preview of PATH on 127.0.0.1 until interrupted, as ADDRESS gets it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise NewsletterError(
            _(
                "cannot listen on 127.0.0.1:{port}: {reason}. Choose another port with --port, "
                "e.g. --port {other}."
            ).format(port=port, reason=exc.strerror, other=port + 1)
        ) from None
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    preview = Preview(path, base_url=url, address=address, lists=lists, config_path=config_path)
    print(_("Previewing {path} at {url}/ (Ctrl+C stops)").format(path=path, url=f"{url}"),
          flush=True)  # fmt: skip
    if open_browser:
        _open_browser(f"{url}/")
    if preview.state.rendered is not None:
        print(_("As {reader} gets it.").format(reader=_whom(preview.state.reader)), flush=True)
    server = uvicorn.Server(uvicorn.Config(preview.app(), log_level="warning"))
    server.run(sockets=[sock])
