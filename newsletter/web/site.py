"""What every endpoint needs: the configuration, the database and the token signer."""

from __future__ import annotations

__all__ = ["Site", "site"]

from dataclasses import dataclass

from starlette.requests import Request

from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config
from newsletter.web.database import Database


@dataclass(frozen=True, slots=True)
class Site:
    config: Config
    db: Database
    signer: TokenSigner


def site(request: Request) -> Site:
    found: Site = request.app.state.site
    return found
