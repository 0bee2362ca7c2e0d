"""Auto-replies: out-of-office and vacation messages, which ask nothing of us.

Asked only after a message was found to be no delivery report, complaint or
unsubscribe request: mail servers mark their bounces `Auto-Submitted: auto-replied`
too (RFC 3834 part 5), and Apple Mail marks its unsubscribe requests as automatic.
"""

from __future__ import annotations

__all__ = ["is_auto_reply", "mailbox_gone"]

import re
from email.message import Message

from newsletter.bounces.report import DeliveryReport, Original, RecipientStatus
from newsletter.bounces.text import flat, header_text

# Subjects of out-of-office replies from clients that set no RFC 3834 header.
_SUBJECT = re.compile(
    r"^\W*(?:automatiskt svar|automatisk svar|autosvar|automatic reply|"
    r"auto(?:matic)?[- ]?(?:reply|response)|out of (?:the )?office|frånvaro|abwesenheitsnotiz|"
    r"abwesend|automatische antwort|fravær|poissa|automaattinen vastaus|réponse automatique|"
    r"absence du bureau|risposta automatica|respuesta automática|resposta automática|"
    r"automatisch antwoord|automatyczna odpowied\w*|vacation|on vacation|"
    r"away from (?:the |my )?office|i am (?:currently )?(?:out|away)|autoresponder)\b",
    re.IGNORECASE,
)
# An auto-reply that says the mailbox is no more: a failure of the address that sent it.
_GONE = re.compile(
    r"(?:inbox|mailbox|address|account)\b.{0,60}\bno longer (?:in use|active|valid|monitored|"
    r"exists?)|no longer (?:works?|employed) (?:at|for|with)|(?:has|have) left (?:the|our) "
    r"(?:company|organi[sz]ation|office)|is no longer with (?:us|the)",
    re.IGNORECASE,
)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_VENDOR_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Vacation")


def is_auto_reply(message: Message, /) -> bool:
    """True when MESSAGE says it was answered automatically."""
    # RFC 3834 part 5: Auto-Submitted other than "no"; the rest are common vendor marks.
    auto = header_text(message.get("Auto-Submitted", "")).lower()
    precedence = header_text(message.get("Precedence", "")).lower()
    subject = header_text(message.get("Subject", ""))
    return (
        (bool(auto) and auto != "no")
        or any(name in message for name in _VENDOR_HEADERS)
        or precedence in {"auto_reply", "auto-reply"}
        or bool(_SUBJECT.match(subject))
    )


def mailbox_gone(message: Message, sender: str, text: str, /) -> DeliveryReport | None:
    """The auto-reply MESSAGE as a failure of SENDER's address, when its TEXT says the
    mailbox is no longer in use; it answers our message (RFC 3834 part 3.1.5)."""
    match = _GONE.search(text[:4000])
    if match is None or "@" not in sender:
        return None
    answered = _MESSAGE_ID.findall(str(message.get("In-Reply-To", "")))
    original = Original(message_id=answered[0] if answered else "")
    status = RecipientStatus(sender.lower(), "failed", "", flat(text[:1000]))
    return DeliveryReport("auto-reply", sender, (status,), original)
