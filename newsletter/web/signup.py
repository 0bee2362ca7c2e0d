"""The sign-up form, `/NEWSLETTER/subscribe` (in Swedish `/NEWSLETTER/prenumerera`).

GET shows the form: e-mail, an optional name, the consent statement with the privacy
notice, one button; plain HTML, no script. POST takes it: whatever the address's state
(new, pending, subscribed, suppressed), the answer is the same "check your inbox" page,
and a confirmation mail goes out afterwards, in the background, only when one is due
(newsletter.audience.signups.request). The answer never waits for the mail server,
so its timing tells nothing either.

Against bots and mail-bombing: a limit of sign-ups per client and hour (429), of
confirmation mails per address and day (silently), a honeypot field, a signed form
token that must be 2 s to a day old, and a small body limit.
"""

from __future__ import annotations

__all__ = ["ROUTES", "SOURCES", "purge_every_hour"]

import datetime as dt
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.audience import signups
from newsletter.audience.addresses import normalise_address
from newsletter.audience.consent import consent_for
from newsletter.config import NewsletterConfig
from newsletter.delivery.headers import clean_name
from newsletter.errors import StateError
from newsletter.state import Connection, connect
from newsletter.web import pages
from newsletter.web.database import Unavailable
from newsletter.web.errors import error_page
from newsletter.web.mailer import send_confirmation
from newsletter.web.site import Site, site

log = logging.getLogger("newsletter.web")

# A form with an address and a name is well under a kilobyte; a little room for long names.
MAX_BODY = 8 * 1024
HONEYPOT = "website"
# `via` says where the form was filled in: our page, or a copy on the organisation's site.
SOURCES = {"": "web form", "embed": "embedded form"}
_FORM = "application/x-www-form-urlencoded"


async def form(request: Request) -> Response:
    newsletter = _newsletter(request)
    return _form_page(request, newsletter, {"email": "", "name": ""}, via="")


async def submit(request: Request) -> Response:
    here, newsletter = site(request), _newsletter(request)
    language, now = newsletter.language, time.time()
    client = here.signup.client_tag(request.client.host if request.client else "")
    verdict = here.limiter.hit(client, now=now)
    if not verdict.allowed:
        if verdict.first_refusal:
            log.warning(
                "sign-up to %s: client %s went over %d sign-ups an hour; its sign-ups are "
                "answered 429 for %d s (logged once)",
                newsletter.key, client, here.limiter.limit, verdict.retry_after,
            )  # fmt: skip
        headers = {"Retry-After": str(verdict.retry_after)}
        return error_page(request, "too_many", 429, headers=headers, language=language)
    try:
        fields = await _fields(request)
    except _Unreadable as exc:
        return error_page(request, exc.kind, exc.status, language=language)
    values = {"email": fields.get("email", "").strip()[:320], "name": _name(fields.get("name"))}
    via = fields.get("via", "") if fields.get("via", "") in SOURCES else ""
    if fields.get(HONEYPOT):
        # A bot: the answer a person gets, and nothing else happens.
        return _signed_up(request, newsletter, values["email"])
    check = here.signup.check_form(fields.get("t"), newsletter.key, now=now)
    if check != "ok":
        # A form from another page (the embed snippet) has no token: ours, filled in, asks
        # for one more press. A bot's, a replayed or a stale one is refused the same way.
        status = 200 if check == "missing" else 400
        return _form_page(request, newsletter, values, via=via, error=check, status=status)
    address, problem = _address(values["email"])
    if problem:
        return _form_page(request, newsletter, values, via=via, error=problem, status=400)
    wanted = signups.Request(
        newsletter=newsletter.key,
        address=address,
        address_id=here.signer.address_id(address, newsletter.key),
        name=values["name"],
        consent=consent_for(newsletter),
        source=SOURCES[via],
        client=client,
    )
    outcome = await here.db.run(lambda db: _record(here, db, wanted, now))
    mail = None
    if outcome == "mail":
        mail = BackgroundTask(send_confirmation, here, newsletter, wanted, now)
    return _signed_up(request, newsletter, address, background=mail)


def _record(here: Site, db: Connection, wanted: signups.Request, now: float) -> signups.Outcome:
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    signups.purge(db, expiry_days=here.config.signup.expiry_days, now=moment)
    limit = here.config.signup.mails_per_address
    return signups.request(db, wanted, limit=limit, now=moment)


async def purge_every_hour(here: Site) -> None:
    """Delete the sign-ups whose link has expired, now and every hour the server runs."""
    days = here.config.signup.expiry_days

    def purge(db: Connection) -> int:
        return signups.purge(db, expiry_days=days, now=dt.datetime.now(dt.UTC))

    def purge_at_start() -> int:
        # A connection of its own: the server's opens with the first request, as before.
        db = connect(here.config)
        try:
            return purge(db)
        finally:
            db.close()

    try:
        await anyio.to_thread.run_sync(purge_at_start)
    except StateError as exc:
        log.warning("expired sign-ups not deleted yet (tried again in an hour): %s", exc)
    while True:
        await anyio.sleep(3600)
        try:
            await here.db.run(purge)
        except Unavailable as exc:
            log.warning("expired sign-ups not deleted yet (tried again in an hour): %s", exc)


def _newsletter(request: Request) -> NewsletterConfig:
    """The newsletter of the address; 404 when it is not configured or takes no sign-ups."""
    found = site(request).config.newsletters.get(request.path_params["newsletter"])
    if found is None or not found.signup:
        raise HTTPException(404)
    return found


class _Unreadable(Exception):
    """A body that is no sign-up form: answered with the error page of KIND."""

    def __init__(self, kind: str, status: int) -> None:
        super().__init__(kind)
        self.kind, self.status = kind, status


async def _fields(request: Request) -> dict[str, str]:
    """The form's fields (the first value of each); _Unreadable when the body is not an
    HTML form's or longer than MAX_BODY."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind != _FORM:
        raise _Unreadable("bad_form", 415)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise _Unreadable("too_large", 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _Unreadable("too_large", 413)
    pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


def _name(value: str | None) -> str:
    return clean_name(value or "")[:200]


def _address(value: str) -> tuple[str, str]:
    """(the normalised address, "") or ("", the problem: "email" or "ascii")."""
    if not value or len(value) > 254:
        return "", "email"
    try:
        address = normalise_address(value)
    except ValueError:
        return "", "email"
    # No SMTPUTF8 when sending (newsletter.delivery.message): such an address gets nothing.
    if not address.isascii():
        return "", "ascii"
    return address, ""


def _form_page(
    request: Request,
    newsletter: NewsletterConfig,
    values: dict[str, str],
    *,
    via: str,
    error: str = "",
    status: int = 200,
) -> Response:
    here = site(request)
    html = pages.page(
        "subscribe.html",
        language=newsletter.language,
        root="../",
        newsletter=newsletter,
        consent=consent_for(newsletter),
        # The form posts back to the address it was served from (subscribe or prenumerera).
        action=request.url.path.rstrip("/").rpartition("/")[2],
        token=here.signup.form_token(newsletter.key, now=time.time()),
        values=values,
        via=via,
        error=error,
    )
    # The form carries a token stamped with the time it was served: never from a cache.
    return HTMLResponse(html, status, headers={"Cache-Control": "no-store"})


def _signed_up(
    request: Request,
    newsletter: NewsletterConfig,
    address: str,
    *,
    background: BackgroundTask | None = None,
) -> Response:
    html = pages.page(
        "signed_up.html",
        language=newsletter.language,
        root="../",
        private=True,
        newsletter=newsletter,
        address=address,
        days=str(site(request).config.signup.expiry_days),
    )
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    return HTMLResponse(html, headers=headers, background=background)


ROUTES: list[Any] = [
    Route(f"/{{newsletter}}/{page}", handler, methods=methods)
    for page in ("subscribe", "prenumerera")
    for handler, methods in ((form, ["GET", "HEAD"]), (submit, ["POST"]))
]
