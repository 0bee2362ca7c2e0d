"""What every endpoint needs: the configuration, the database, the signers, the limits."""

from __future__ import annotations

__all__ = ["Site", "site"]

from dataclasses import dataclass

from starlette.requests import Request

from newsletter.audience.signuptokens import SignupSigner
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config
from newsletter.web.clients import ClientLimiter
from newsletter.web.database import Database


@dataclass(frozen=True, slots=True)
class Site:
    config: Config
    db: Database
    signer: TokenSigner
    signup: SignupSigner  # form tokens, confirmation links, client tags
    limiter: ClientLimiter  # sign-ups per client and hour


def site(request: Request) -> Site:
    found: Site = request.app.state.site
    return found
