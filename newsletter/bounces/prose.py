"""Delivery reports written as prose: which addresses failed, and what the server said.

qmail, Exim, Sendmail's older forms, Exchange 2003, Domino, GroupWise, IMail,
OpenSMTPD, DragonFly, Gmail's and Yahoo's own words: each writes the failed address
and the server's reply somewhere in its text, before the copy of the message. The
reader is general, as sisimai's per-MTA modules are in aggregate: split off the copy,
take the addresses the notice names (not the sender's, not a mail system's), give
each the text that follows it up to the next address, and read the SMTP status and
reply there. Whether the report tells of a delay is read from the notice as a whole.
"""

from __future__ import annotations

__all__ = ["SYSTEM_LOCAL_PARTS", "looks_like_a_report", "read_prose", "sections"]

import re
from email.message import Message
from email.utils import getaddresses

from newsletter.bounces.diagnosis import stage_of
from newsletter.bounces.report import RecipientStatus
from newsletter.bounces.rfc3464 import status_code
from newsletter.bounces.text import addresses_in, flat, header_text

# Mail systems' own addresses: they sign a report, they are never its recipient.
SYSTEM_LOCAL_PARTS = {
    "mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster", "abuse", "hostmaster",
    "webmaster", "mdaemon", "daemon", "mail.delivery.system", "mailer_daemon",
}  # fmt: skip
_SUBJECT = re.compile(
    r"undeliver|deliver(?:y|ing)? (?:status|failure|failed|problem|notification|report|"
    r"error)|failure (?:notice|delivery)|failed (?:mail|delivery)|returned (?:mail|to sender)|"
    r"mail (?:delivery|system error)|(?:could|can) ?not be delivered|not delivered|"
    r"non[- ]?deliver|\bndr\b|undelivered|nondeliverable|returning message|message delayed|"
    r"delayed|\bbounce|rejected|unzustellbar|olevererbar|kunde inte levereras|non remis|"
    r"no entregado|user unknown|warning: ",
    re.IGNORECASE,
)
_NOTICE = re.compile(
    r"could(?:n't| not) be delivered|(?:was|were|has) not (?:yet )?been delivered|"
    r"was not delivered|undeliverable|delivery (?:has |have )?failed|failed permanently|"
    r"permanent(?:ly)? (?:fatal )?(?:error|failure)|unable to deliver|could not deliver|"
    r"delivery to the following|following (?:address|recipient)|did not reach|"
    r"not (?:be )?delivered to|delivery status notification|error (?:occurred )?while "
    r"(?:trying to )?deliver|could not be sent|returned to (?:the )?sender|"
    r"message (?:was |has been )?(?:rejected|refused|returned|blocked)|rejected your message|"
    r"(?:recipient|mailbox|user) (?:unknown|not found)|delivery (?:error|problem|failure)",
    re.IGNORECASE,
)
_DELAY = re.compile(
    r"not yet been delivered|has been delayed|delivery (?:is |has been )?delayed|"
    r"will (?:continue|keep) (?:to )?try|(?:still|keep) trying|will be retried|"
    r"will retry|warning message only|this is (?:just |only )?a warning|postponed|"
    r"delivery attempts will continue|no action is required|do not need to resend|"
    r"\(delay\)|delay(?:ed)? (?:notice|notification|warning)|temporarily deferred",
    re.IGNORECASE,
)
_UNSAFE = re.compile(r"[&?]")
_CONTACT = re.compile(r"\bcontact\W+(?:us at\W+|the\W+)?(\S+@\S+)", re.IGNORECASE)
_FROM = re.compile(
    r"(?<!expanded )(?<!generated )(?<!forwarded )\bfrom\W{1,3}\S+@\S+", re.IGNORECASE
)
_FOLLOWING = re.compile(r"following (?:recipients?|addresses|address\(es\))[^\n]*", re.IGNORECASE)
_LOCAL_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_SUMMARY = re.compile(
    r"^\W*(?:to|cc|bcc|from|sent|subject|date)\s*:.*$", re.IGNORECASE | re.MULTILINE
)
_SECTION = 1200
_BOILERPLATE = re.compile(
    r"(?:has been|was|been) (?:scanned|checked)|scanned (?:for|by)|virus[- ](?:free|checked)|"
    r"disclaimer|confidential|privileged|intended (?:only )?(?:for|recipient)|"
    r"if you (?:are not|have received)",
    re.IGNORECASE,
)
_CODE_LINE = re.compile(
    r"(?:^|[\s(:#<\[])(?:[245]\.\d{1,3}\.\d{1,3}|[245]\d\d[\s\-:])", re.MULTILINE
)


def looks_like_a_report(message: Message, text: str, /) -> bool:
    """True when MESSAGE presents itself as a delivery report (it may still be unreadable)."""
    local = _sender(message).partition("@")[0].lower()
    subject = header_text(message.get("Subject", ""))
    return (
        local in SYSTEM_LOCAL_PARTS
        or _null_sender(message)
        or "X-Failed-Recipients" in message
        or message.get_content_type() == "multipart/report"
        or bool(_SUBJECT.search(subject))
        or bool(_NOTICE.search(text[:3000]))
    )


def _sender(message: Message) -> str:
    found = getaddresses([str(message.get("From", ""))])
    return found[0][1] if found else ""


def _null_sender(message: Message) -> bool:
    """From: <> (RFC 5321 4.5.5: reports are sent from the null reverse path)."""
    return "".join(str(message.get("From", "x")).split()) == "<>"


def read_prose(
    message: Message, notice: str, /, *, not_recipients: set[str]
) -> list[RecipientStatus]:
    """The recipients NOTICE (the report's text without the copy) tells of."""
    delayed = bool(_DELAY.search(notice) or _DELAY.search(header_text(message["Subject"])))
    likely, aside = _candidates(notice, not_recipients)
    addresses = (
        _failed_header(message)
        or likely
        or _bare_names(notice, _sender(message))
        or aside
        or _candidates(header_text(message.get("Subject", "")), not_recipients)[0]
    )
    if not addresses:
        return []
    found = sections(notice, addresses)
    return [_status(a, text, notice, delayed, addresses) for a, text in found]


def _failed_header(message: Message) -> list[str]:
    # Exim names every failed address in this header.
    return addresses_in(" ".join(str(v) for v in message.get_all("X-Failed-Recipients", [])))


def _candidates(text: str, not_recipients: set[str]) -> tuple[list[str], list[str]]:
    """The addresses TEXT names as failed, and those it names otherwise (the sender's)."""
    found = []
    contacts = {a.lower() for a in addresses_in(" ".join(_CONTACT.findall(text)))}
    for address in addresses_in(text):
        local = address.partition("@")[0].lower()
        if address.lower() in not_recipients | contacts or local in SYSTEM_LOCAL_PARTS:
            continue
        if _UNSAFE.search(address):  # a link's query string, not an address
            continue
        found.append(address)
    # "Your message / To: list@example.org / Subject: ... / did not reach the following
    # recipient(s): anna@..." (Exchange): the summary's headers name no failed recipient;
    # "received ... from anna@..." and "not accepting mail from ..." name the sender.
    aside = {a.lower() for a in addresses_in(" ".join(_SUMMARY.findall(text) +
                                                      _FROM.findall(text)))}  # fmt: skip
    named = {a.lower() for a in addresses_in(_FROM.sub(" ", _SUMMARY.sub("", text)))}
    likely = [a for a in found if a.lower() not in aside or a.lower() in named]
    return likely, [a for a in found if a not in likely]


def _bare_names(notice: str, reporter: str) -> list[str]:
    """AOL's and others' lists of local parts under "the following recipients": at the
    reporting system's own domain."""
    domain = reporter.partition("@")[2].lower()
    heading = _FOLLOWING.search(notice)
    if not domain or heading is None:
        return []
    names: list[str] = []
    for line in notice[heading.end() :].splitlines()[1:8]:
        word = line.strip().split(" ")[0] if line.strip() else ""
        if not word:
            if names:
                break
            continue
        if not _LOCAL_PART.fullmatch(word):
            break
        names.append(f"{word}@{domain}")
    return names


def sections(notice: str, addresses: list[str]) -> list[tuple[str, str]]:
    """(address, the text from its line to the next address's line) for each address."""
    lower = notice.lower()
    starts = []
    for address in addresses:
        at = lower.find(address.lower())
        starts.append(lower.rfind("\n", 0, at) + 1 if at >= 0 else -1)
    ordered = sorted(p for p in starts if p >= 0)
    found = []
    for address, start in zip(addresses, starts, strict=True):
        if start < 0:
            found.append((address, ""))
            continue
        later = [p for p in ordered if p > start]
        end = min(later[0] if later else len(notice), start + _SECTION)
        found.append((address, _without_boilerplate(notice[start:end])))
    return found


def _status(
    address: str, section: str, notice: str, delayed: bool, addresses: list[str]
) -> RecipientStatus:
    code = status_code(_codes_only(section), failures_only=True)
    text = section
    if not code:
        # The reply stands before the address ("550 5.1.1 User unknown: <anna@...>") or
        # the report gives one reason for all; never another address's reason.
        others = [a.lower() for a in addresses if a != address]
        lines = _without_boilerplate(notice).splitlines()
        shared = "\n".join(ln for ln in lines if not any(o in ln.lower() for o in others))
        code = status_code(_codes_only(shared), failures_only=True)
        text = f"{section}\n{shared}" if others else shared
    action = "delayed" if delayed or code.startswith("4") else "failed"
    if action == "delayed" and code.startswith("5"):
        code = ""  # a warning that quotes an earlier permanent-looking reply
    # "<anna@example.org>: Sorry, no mailbox here": the words, without the address before them.
    words = re.sub(rf"^[\s<>\"'*-]*{re.escape(address)}[>\"':\s]*", "", flat(text), flags=re.I)
    return RecipientStatus(address, action, code, words[:_SECTION], stage=stage_of(text))


def _without_boilerplate(text: str) -> str:
    """TEXT without the lines of disclaimers and scanner banners (their "viruses" and
    "spam" are no reply of the receiving server)."""
    return "\n".join(line for line in text.splitlines() if not _BOILERPLATE.search(line))


def _codes_only(text: str) -> str:
    """The lines of TEXT that hold an SMTP reply or status (not dates, sizes, IP addresses)."""
    return "\n".join(line for line in text.splitlines() if _CODE_LINE.search(line))
