"""One MIME message per recipient, built from a skeleton the email package makes once.

The skeleton holds every header common to all recipients and the multipart/alternative
structure (text/plain first, text/html last, both UTF-8 quoted-printable). Per recipient
only To, Date, Message-ID, List-Unsubscribe and the two bodies change. The bodies are
encoded line by line with the email package's quoted-printable encoder; lines that are
the same for every recipient (nearly all of them) are encoded once, so a build costs
tens of microseconds instead of the milliseconds a fresh EmailMessage would.
"""

from __future__ import annotations

__all__ = ["MessageBuilder", "OutgoingMessage", "Recipient", "UnusableAddress"]

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from newsletter import urls
from newsletter.audience import returnpath
from newsletter.audience.tokens import TokenSigner, mailto_unsubscribe
from newsletter.delivery.headers import (
    CRLF,
    POLICY,
    address_line,
    clean_name,
    fold_urls,
    header_line,
    list_id_line,
    phrase_line,
    unstructured_line,
)
from newsletter.delivery.quotedprintable import BodyEncoder
from newsletter.delivery.wireform import message_data, transfer_form
from newsletter.errors import RecipientError
from newsletter.render.personalize import Personal, Personalizer
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.delivery.dkim import DkimSigner
    from newsletter.render.issue import RenderedIssue

_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]")
_TEXT_MARK = "zzskeletontextbodyzz"
_HTML_MARK = "zzskeletonhtmlbodyzz"


class UnusableAddress(RecipientError):
    """An address no message can be sent to as it is: that recipient fails, the rest go on."""


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)  # extra CSV columns
    ref: str = ""  # the journal row's return-path token (newsletter.audience.returnpath)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    sender: str  # envelope MAIL FROM: from_address, or [bounces] return_path with a token
    recipient: str  # envelope RCPT TO
    message_id: str  # "<...@sender-domain>"
    # The whole message as DATA sends it (wireform): made where it is built, so that the
    # sending process only writes it, and what a helper process passes on.
    wire: bytes
    size: int  # of the message itself (SIZE=, RFC 1870)

    @classmethod
    def of(cls, sender: str, recipient: str, message_id: str, data: bytes) -> OutgoingMessage:
        """The message DATA (CRLF line ends, DKIM-signed when configured) to send."""
        return cls(sender, recipient, message_id, transfer_form(data), len(data))

    @property
    def data(self) -> bytes:
        """The message itself, as a mail client reads it (an .eml file)."""
        return message_data(self.wire)


def _address(email: str) -> str:
    """The address for the envelope and To:, refused when it could break a header."""
    if _SPACE_OR_CONTROL.search(email) or "@" not in email:
        raise UnusableAddress(
            _(
                "{email!r} is not a usable address (space, line break or control character in "
                "it): fix it in the subscriber list."
            ).format(email=email)
        )
    local, _at, domain = email.rpartition("@")
    if not local.isascii():
        raise UnusableAddress(
            _(
                "{email}: an address with non-ASCII letters before the @ needs SMTPUTF8, which "
                "this tool does not send; ask the subscriber for another address."
            ).format(email=email)
        )
    if domain.isascii():
        return email
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        raise UnusableAddress(
            _("{email}: the domain is not a valid host name.").format(email=email)
        ) from None


def _signed_headers(feedback_id: bool) -> tuple[str, ...]:
    from newsletter.delivery.dkim import SIGNED_HEADERS

    return (*SIGNED_HEADERS, "Feedback-ID") if feedback_id else SIGNED_HEADERS


class MessageBuilder:
    """Built once per send from the rendered issue; build() is cheap (target ≪ 1 ms).

    It keeps plain data only (strings, bytes, compiled texts, keys), never the issue or the
    settings: a large send's helper process unpickles it, and needs neither their
    libraries nor the memory they take (tests/delivery/test_helper_imports.py).
    """

    def __init__(
        self,
        rendered: RenderedIssue,
        config: Config,
        /,
        *,
        signer: TokenSigner,
        test: bool = False,
        dkim: DkimSigner | None = None,
    ) -> None:
        newsletter = rendered.newsletter
        self._key = newsletter.key
        self._signer = signer
        self._sender = newsletter.from_address
        self._reply_to = newsletter.reply_to
        self._return_path = config.bounces.return_path
        self._domain = newsletter.sender_domain
        self._web_url = urls.issue_url(config, newsletter.key, rendered.issue.slug)
        # A recipient's one-click address is this and the token (urls.unsubscribe_url).
        self._unsubscribe_url = urls.unsubscribe_url(config, "")
        self._personalizer = Personalizer(rendered)
        self._head, self._middle, self._tail = self._skeleton(rendered, config, test)
        samples = [self._sample(letter) for letter in "ab"]
        self._html = BodyEncoder([html for html, _ in samples])
        self._text = BodyEncoder([text for _, text in samples])
        if dkim is None and config.dkim.enabled:
            from newsletter.delivery.dkim import DkimSigner

            dkim = DkimSigner(config.dkim, default_domain=self._domain, root=config.root)
        self._dkim = dkim
        self._signed = _signed_headers(newsletter.feedback_id is not None)
        self._date = (0, b"")

    def build(self, recipient: Recipient, /) -> OutgoingMessage:
        """The message for RECIPIENT; UnusableAddress when the address cannot be used."""
        address = _address(recipient.email)
        name = clean_name(recipient.name)
        token = self._signer.make(recipient.email, self._key)
        unsubscribe = self._unsubscribe_url + token
        html, text = self._personalizer.personalize(
            Personal(recipient.email, name, recipient.fields, unsubscribe, self._web_url)
        )
        message_id = make_msgid(domain=self._domain)
        mailto = mailto_unsubscribe(self._reply_to, token)
        data = b"".join(
            (
                self._date_line(),
                header_line("Message-ID", message_id),
                address_line(name, address),
                fold_urls("List-Unsubscribe", [f"<{unsubscribe}>", f"<{mailto}>"]).encode(),
                header_line(returnpath.HEADER, recipient.ref) if recipient.ref else b"",
                self._head,
                self._text.encode(text),
                self._middle,
                self._html.encode(html),
                self._tail,
            )
        )
        if self._dkim is not None:
            data = self._dkim.sign(data, headers=self._signed)
        return OutgoingMessage.of(self._envelope(recipient.ref), address, message_id, data)

    def _envelope(self, ref: str) -> str:
        """MAIL FROM: the return path with the row's token (VERP) where it is set."""
        return_path = self._return_path
        return returnpath.verp_address(return_path, ref) if ref and return_path else self._sender

    def _date_line(self) -> bytes:
        # formatdate costs as much as the rest of a header block: once a second will do.
        now = int(time.time())
        if now != self._date[0]:
            self._date = (now, header_line("Date", formatdate(now, localtime=True)))
        return self._date[1]

    def _sample(self, letter: str) -> tuple[str, str]:
        values = {key: letter * 3 for key in self._personalizer.fields}
        values |= {key: f"https://{letter * 3}.example/" for key in self._personalizer.url_fields}
        return self._personalizer.personalize(
            Personal(f"{letter}@example.org", letter, values, letter, self._web_url)
        )

    def _skeleton(
        self, rendered: RenderedIssue, config: Config, test: bool
    ) -> tuple[bytes, bytes, bytes]:
        """The common headers and part headers, split where the two bodies go."""
        from newsletter.render import i18n

        newsletter = rendered.newsletter
        subject = rendered.issue.subject_line
        if test:
            subject = i18n.label(rendered.issue.language, "test_subject").format(subject=subject)
        # Free text (the subject, the names) is written by headers, never by the email
        # package: it would read `=?...?=` in the text as encoded words (see headers).
        own = b"".join(
            (
                list_id_line(newsletter.name, newsletter.list_id),
                phrase_line("From", newsletter.from_name, _address(newsletter.from_address)),
                phrase_line("Reply-To", "", _address(newsletter.reply_to)),
                unstructured_line("Subject", subject),
                unstructured_line("Feedback-ID", newsletter.feedback_id)
                if newsletter.feedback_id
                else b"",
            )
        )
        message = EmailMessage(policy=POLICY)
        # RFC 8058: the https address in List-Unsubscribe takes a one-click POST.
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["List-Archive"] = f"<{urls.archive_url(config, newsletter.key)}>"
        message["Archived-At"] = f"<{self._web_url}>"
        # Keeps Exchange's out-of-office and auto replies from answering a newsletter.
        message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
        message.set_content(_TEXT_MARK, charset="utf-8", cte="quoted-printable")
        message.add_alternative(_HTML_MARK, subtype="html", charset="utf-8", cte="quoted-printable")
        # A boundary cannot occur in a quoted-printable body: "=" is always encoded there.
        data = message.as_bytes()
        head, rest = data.split(_TEXT_MARK.encode() + CRLF)
        middle, tail = rest.split(_HTML_MARK.encode() + CRLF)
        return own + head, middle, tail
