"""The confirmation mail of a sign-up (double opt-in), built with the email package and
sent through the configured SMTP server, or written to the outbox without one.

One message to one address, multipart/alternative (text first, HTML last, both UTF-8
quoted-printable, the same words in both), with the newsletter's sender, colour and
logo. It carries nothing the person signing up typed but the address itself: a name
field filled with an advertisement must not reach someone else's inbox in our name.
It is not a newsletter issue, so no List-* headers; `Auto-Submitted: auto-generated`
(RFC 3834) keeps auto-replies away.
"""

from __future__ import annotations

__all__ = ["OUTBOX_FOLDER", "SIGNED_HEADERS", "build", "outbox_folder", "send"]

import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from newsletter.config import Config, NewsletterConfig
from newsletter.delivery.headers import POLICY
from newsletter.delivery.message import OutgoingMessage, UnusableAddress
from newsletter.delivery.replies import Result
from newsletter.delivery.transport import open_transport, send_one
from newsletter.render.colours import palette
from newsletter.render.i18n import label
from newsletter.translate import _

# Beside the sends' OUTBOX/NEWSLETTER/SLUG folders; no newsletter's name starts with "_".
OUTBOX_FOLDER = "_confirmations"
SIGNED_HEADERS: tuple[str, ...] = (
    "From", "To", "Subject", "Date", "Message-ID", "Reply-To", "MIME-Version",
    "Content-Type", "Auto-Submitted",
)  # fmt: skip


@cache
def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("newsletter.delivery", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def outbox_folder(config: Config, newsletter: str, /) -> Path:
    """Where confirmation mails go without an SMTP server: OUTBOX/_confirmations/NEWSLETTER."""
    return config.outbox / OUTBOX_FOLDER / newsletter


def build(
    config: Config, newsletter: NewsletterConfig, /, *, address: str, link: str, language: str
) -> OutgoingMessage:
    """The confirmation mail to ADDRESS with the confirmation LINK, in LANGUAGE."""
    if not address.isascii() or any(ch.isspace() for ch in address):
        raise UnusableAddress(
            _("{address!r} cannot be written in a message header.").format(address=address)
        )
    context = _context(config, newsletter, address=address, link=link, language=language)
    message = EmailMessage(policy=POLICY)
    message["From"] = newsletter.sender
    message["To"] = Address(addr_spec=address)
    message["Reply-To"] = newsletter.reply_to
    message["Subject"] = context["subject"]
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id = make_msgid(domain=newsletter.sender_domain)
    # RFC 3834 5: made by a program, not a person; no out-of-office replies to it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    text = _environment(False).get_template("confirmation.txt").render(context)
    html = _environment(True).get_template("confirmation.html").render(context)
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    data = message.as_bytes()
    if config.dkim.enabled:
        from newsletter.delivery.dkim import DkimSigner

        signer = DkimSigner(config.dkim, default_domain=newsletter.sender_domain, root=config.root)
        data = signer.sign(data, headers=SIGNED_HEADERS)
    return OutgoingMessage.of(newsletter.from_address, address, message_id, data)


def _context(
    config: Config, newsletter: NewsletterConfig, *, address: str, link: str, language: str
) -> dict[str, Any]:
    def t(key: str, /, **values: object) -> str:
        return label(language, key).format(**values)

    return {
        "t": t,
        "language": language,
        "subject": t("mail_subject", name=newsletter.name),
        "newsletter_name": newsletter.name,
        "address": address,
        "link": link,
        "days": config.signup.expiry_days,
        "privacy_url": newsletter.privacy_url or config.base_url,
        "sender_name": newsletter.editor.organisation or newsletter.from_name,
        "colours": palette(newsletter.brand_color),
        "logo": newsletter.logo,
        "logo_alt": newsletter.logo_alt or newsletter.name,
    }


async def send(
    config: Config,
    message: OutgoingMessage,
    /,
    *,
    newsletter: str,
    tls_context: ssl.SSLContext | None = None,
) -> tuple[str, Result]:
    """Send MESSAGE through the SMTP server (or into the outbox): where to, and the reply.

    TransportError when the server cannot be reached or used.
    """
    transport = open_transport(
        config, outbox=outbox_folder(config, newsletter), tls_context=tls_context
    )
    async with transport:
        return transport.description, await send_one(transport, message)
