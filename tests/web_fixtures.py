"""A project with one newsletter, a list, a published issue, and the server running on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from render_fixtures import make_config, make_issue
from webserver import running

from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config
from newsletter.delivery import archive
from newsletter.render.issue import RenderedIssue, render_issue
from newsletter.state import Connection, connect
from newsletter.web import create_app

SUBSCRIBERS = "email;name\nanna@example.org;Anna\nbertil@example.org;Bertil\n"


@dataclass
class Project:
    config: Config
    db: Connection
    signer: TokenSigner
    url: str  # the running server, "http://127.0.0.1:N"

    def token(self, address: str = "anna@example.org", newsletter: str = "test") -> str:
        return self.signer.make(address, newsletter)


def make_project(
    path: Path, *, newsletter_extra: str = "", subscribers: str = SUBSCRIBERS
) -> Config:
    (path / "subscribers").mkdir(exist_ok=True)
    (path / "subscribers" / "test.csv").write_text(subscribers, encoding="utf-8")
    return make_config(path, newsletter_extra)


def rendered_issue(config: Config, **changes: object) -> RenderedIssue:
    return render_issue(make_issue(**changes), config)


def serve(config: Config, *published: RenderedIssue) -> Iterator[Project]:
    db = connect(config)
    for rendered in published:
        archive.publish(db, config, rendered)
    with running(create_app(config)) as url:
        yield Project(config, db, TokenSigner(load_secret(config)), url)
    db.close()
