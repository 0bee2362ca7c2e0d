"""Sending a sign-up's confirmation mail from the web server, after the answer has gone.

Runs as the response's background task: the reader's page never waits for the mail
server. What goes wrong is logged in one line without the address (the log holds no
personal data); an address the server says does not exist is suppressed as bounced.
"""

from __future__ import annotations

__all__ = ["send_confirmation"]

import functools
import logging
import re

import anyio.to_thread

from newsletter import urls
from newsletter.audience import signups, suppression
from newsletter.config import NewsletterConfig
from newsletter.delivery import confirmation
from newsletter.errors import NewsletterError
from newsletter.web.database import Unavailable
from newsletter.web.site import Site

log = logging.getLogger("newsletter.web")


async def send_confirmation(
    here: Site, newsletter: NewsletterConfig, wanted: signups.Request, now: float
) -> None:
    """Mail WANTED's address the link that confirms its sign-up to NEWSLETTER."""
    token = here.signup.confirmation(newsletter.key, wanted.address_id, now=now)
    link = urls.confirm_url(here.config, token)
    build = functools.partial(confirmation.build, here.config, newsletter, address=wanted.address,
                              link=link, language=wanted.consent.language)  # fmt: skip
    try:
        # In a worker thread: rendering the mail takes milliseconds the event loop, and
        # the readers waiting on it, need more.
        message = await anyio.to_thread.run_sync(build)
        where, result = await confirmation.send(here.config, message, newsletter=newsletter.key)
    except (NewsletterError, OSError) as exc:
        _warn(newsletter, wanted, f"the confirmation mail could not be sent: {exc}")
        return
    if result.outcome == "sent":
        return
    _warn(newsletter, wanted, f"{where} did not take the confirmation mail: {result.reply}")
    if result.bounced:
        source = f"confirmation mail refused: {result.reply}"
        try:
            await here.db.run(
                lambda db: suppression.suppress(db, wanted.address, reason="bounced", source=source)
            )
        except Unavailable as exc:
            _warn(newsletter, wanted, f"the bounce could not be recorded: {exc}")


def _warn(newsletter: NewsletterConfig, wanted: signups.Request, text: str) -> None:
    # Servers repeat the address in their replies ("<anna@example.org>: User unknown").
    hidden = re.sub(re.escape(wanted.address), "…", text, flags=re.IGNORECASE)
    log.warning("sign-up to %s (client %s): %s", newsletter.key, wanted.client, hidden)
