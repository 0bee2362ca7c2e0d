"""What a failure says about the reader's address: gone for good, worth counting, or our fault.

The server's words decide, the status code only where the words say nothing more:
servers put 5.1.x codes on refusals of *our* sender, 5.2.1 on full mailboxes and
disabled accounts, 5.7.1 on spam scores. In order: a problem on our side (never the
reader's fault), then anything temporary or uncertain (soft), then the phrases of a
mailbox or domain that does not exist (hard), and last the RFC 3463 codes.
"""

from __future__ import annotations

__all__ = ["HARD_CODES", "Diagnosis", "Verdict", "diagnose", "stage_of"]

import re
from dataclasses import dataclass
from typing import Literal

from newsletter.bounces.senderside import SENDER_ADDRESS, Problem, find_problem

Verdict = Literal["hard", "soft", "sender", "none"]


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# RFC 3463 codes that say the address is gone: bad mailbox (5.1.1), bad host (5.1.2),
# bad syntax (5.1.3), moved (5.1.6), null MX (5.1.10, RFC 7505; Exchange's
# RecipientNotFound), Exchange's 5.1.351 (the next server did not know the recipient),
# 5.4.4 no route to the domain. 5.1.0, 5.2.1 and 5.4.1 are not here: servers use them
# for too many other things; their words decide.
HARD_CODES = {"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.1.351", "5.4.4"}
# What the server was answering, as reports say it: "(in reply to RCPT TO command)",
# "after RCPT TO:<...>", "did not like our RCPT TO", ">>> DATA", "[RCPT_TO]".
_STAGES = (
    ("rcpt", re.compile(r"\brcpt(?:[ _]to)?\b", re.IGNORECASE)),
    ("mail", re.compile(r"(?:in reply to|after|our|>>>) mail from\b", re.IGNORECASE)),
    (
        "data",
        re.compile(
            r"(?:in reply to|after|our|>>>) (?:the )?(?:end of |final )?data\b", re.IGNORECASE
        ),
    ),
)
_ADDRESS = re.compile(r"[^\s<>()\[\]:;,\"']+@[A-Za-z0-9.-]+")
_URL = re.compile(r"\b(?:https?|ftp)://\S+", re.IGNORECASE)
# Phrases only one mail system writes, and only for a mailbox that does not exist: they
# need no status code (Exchange 2003, Domino and Notes, Gmail, Yahoo, qmail, IMail,
# Exchange Online's directory-based edge blocking).
_UNMISTAKABLE = _words(
    r"recipient name is not recognized",
    r"not listed in (?:the )?domino directory",
    r"not listed in public name & address book",
    r"email account that you tried to reach "
    r"does not exist",
    r"because the address couldn't be found",
    r"this user doesn't have an? \S+ account",
    r"no mailbox here by that name",
    r"invalid final delivery userid",
    r"recipientnotfound",
    r"recipaddrnotfound",
    r"5\.4\.1 .{0,80}recipient address rejected: access denied",
)


# Failures that say nothing about the mailbox existing, or say it exists.
_SOFT = (
    ("mailbox full", _words(
        r"mail ?box (?:is |was )?full", r"full mail ?box", r"over ?quota", r"quota",
        r"insufficient (?:disk |storage )?space", r"mail ?box size", r"storage (?:limit|space|"
        r"allocation)", r"exceeded (?:the |its )?storage", r"out of (?:disk )?space",
        r"mail ?box (?:has )?exceeded", r"too many messages in (?:the|this) mailbox",
    )),
    ("account suspended", _words(
        r"suspend", r"disabled", r"deactivated", r"\blocked\b", r"frozen",
        r"temporarily (?:unavailable|deferred|rejected)",
    )),
    ("refused by the receiving server's rules", _words(
        r"not (?:authori[sz]ed|allowed|permitted)", r"access (?:denied|refused)",
        r"\bdenied\b", r"\brefused\b", r"polic(?:y|ies)", r"prohibited", r"restricted",
        r"forbidden", r"not accepted", r"filter", r"relay(?:ing)? (?:denied|not|prohibited)",
        r"we do not relay", r"rejected by (?:the )?(?:recipient|remote|domain)", r"blocked",
    )),
    ("not delivered in time", _words(
        r"expired", r"too long", r"aborted after", r"retry (?:time|timeout|period)",
        r"time(?:d)? ?out", r"could not be delivered (?:with)?in", r"delivery time",
        r"\b\d+ (?:days|hours)\b.{0,40}(?:queue|undeliver|not (?:been )?delivered)",
    )),
    ("the receiving mail system failed", _words(
        r"command output", r"procmail", r"pipe to \|", r"mailer (?:error|failure)",
        r"unable to (?:run|execute)", r"program exited", r"exit (?:code|status)",
        r"local delivery failed", r"temporary local problem", r"on hold\b",
    )),
    ("a network or server failure", _words(
        r"connection (?:refused|reset|lost|closed|dropped|failed)", r"no route to host",
        r"could not connect", r"unable to connect", r"network", r"temporar",
        r"try again later", r"service (?:not |un)available", r"system error",
        r"internal (?:server )?error", r"loop", r"too many hops", r"hop count",
        r"server (?:is )?busy", r"local error", r"i/o error", r"broken pipe",
    )),
)  # fmt: skip

# The phrases of a mailbox or a domain that does not exist (sisimai's userunknown,
# hostunknown, hasmoved and notaccept), in servers' words.
_HARD = (
    ("no such mailbox", _words(
        r"user(?:name)? (?:is )?unknown", r"unknown (?:user|recipient|mailbox|address|local"
        r"[- ]?part|e-?mail address|account)", r"no such (?:user|mailbox|recipient|person|"
        r"account|address|local user)",
        r"(?:user|mailbox|recipient|account|address|e-?mail address|e-?mail account)"
        r"(?: name)? (?:\S+ )?(?:does not|doesn't|did not|do not) exist",
        r"(?:user|mailbox|recipient|account|address)(?: name)? (?:\S+ )?"
        r"(?:not found|unknown|not known|is invalid|not valid)",
        r"invalid (?:recipient|mailbox|user|address|e-?mail address)",
        r"not a (?:valid|known) (?:user|mailbox|recipient|address)",
        r"is not a valid mailbox", r"no (?:mail ?box|account) (?:here|by that name|found|"
        r"available)", r"mail ?box (?:is )?(?:unavailable|not available|not found)",
        r"not listed in .{0,30}(?:directory|address book)",
        r"recipient name is not recognized", r"recipientnotfound", r"recipaddrnotfound",
        r"does(?:n't| not) have an? \S+ account", r"no longer (?:valid|in use|exists)",
        r"address (?:is )?(?:no longer|not) (?:valid|in use)", r"bad (?:destination|recipient)",
        r"not our customer", r"inactive (?:e-?mail )?(?:address|mailbox|user|account)",
        r"not an active (?:address|user|mailbox)",
        r"no (?:valid )?recipients?\b", r"mailbox unavailable",
    )),
    ("no such domain", _words(
        r"host (?:or domain name )?(?:is )?(?:unknown|not found)", r"unknown host",
        r"no such (?:domain|host)", r"domain (?:name )?(?:\S+ )?(?:not found|does not exist|"
        r"doesn't exist|unknown|is invalid)", r"unrout(?:e)?able (?:mail )?(?:domain|address)",
        r"\bnxdomain\b", r"no (?:mx|a|dns) records?\b", r"mx (?:record )?(?:lookup )?failed",
r"domain (?:is )?not (?:local|hosted)",
    )),
    ("the reader has moved", _words(
        r"(?:mailbox|address|user|recipient) (?:has )?(?:been )?moved",
        r"has moved (?:to|permanently)", r"new (?:e-?mail )?address is",
    )),
    ("the domain accepts no mail", _words(
        r"(?:does|do) not accept (?:any )?(?:e-?)?mail", r"null mx", r"accepts no mail",
    )),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The verdict on one recipient's failure, the reason in a few words, and our problem."""

    verdict: Verdict
    reason: str
    problem: Problem | None = None


def stage_of(text: str, /) -> str:
    """The SMTP command a reply answered ("rcpt", "mail", "data"), where TEXT says so."""
    found = [(m.start(), stage) for stage, p in _STAGES for m in p.finditer(text)]
    return max(found)[1] if found else ""


def diagnose(
    action: str,
    status: str,
    diagnostic: str,
    stage: str = "",
    our_domains: tuple[str, ...] = (),
) -> Diagnosis:
    """hard: never mail again; soft: count it; sender: our fault; none: not a failure.

    OUR_DOMAINS are the sending domains (the returned message's sender's): a reply that
    names one is about us ("553 nyhetsbrev.example.org does not exist").
    """
    action = action.lower()
    if action not in {"failed", "delayed"}:
        return Diagnosis("none", action or "no failure")
    # The addresses in a reply are no words of it ("filtered@example.org" filters
    # nothing); its links are, for a blocklist's (spamhaus.org/query/...), and else not.
    diagnostic = _ADDRESS.sub("<address>", diagnostic)
    if (problem := find_problem(f"{status} {diagnostic}")) is not None:
        return Diagnosis("sender", problem.title, problem)
    diagnostic = _URL.sub("<link>", diagnostic)
    # A reply naming our own domain, or refusing our MAIL FROM, is about the sender.
    if stage == "mail" or any(_names(diagnostic, domain) for domain in our_domains):
        problem = SENDER_ADDRESS
        return Diagnosis("sender", problem.title, problem)
    unmistakable = _UNMISTAKABLE.search(f"{status} {diagnostic}")
    if not status.startswith("4") and action == "failed" and unmistakable:
        return Diagnosis("hard", "no such mailbox")
    for reason, pattern in _SOFT:
        if pattern.search(diagnostic):
            return Diagnosis("soft", reason)
    if action == "delayed" or status.startswith("4"):
        return Diagnosis("soft", "delayed" if action == "delayed" else "a temporary failure")
    # "User unknown" is the mailbox's fault only where the server said it of the address
    # itself: with an address status code (5.1.x), or in reply to RCPT TO. Said after the
    # message was sent (DATA), it is a filter's refusal: Japanese carriers and many
    # appliances answer "550 Unknown user" to mail their users' filters refuse.
    of_the_address = status in HARD_CODES or stage == "rcpt"
    for reason, pattern in _HARD:
        if pattern.search(diagnostic) and (of_the_address or reason == "no such domain"):
            return Diagnosis("hard", reason)
    if status in HARD_CODES:
        return Diagnosis("hard", "no such mailbox" if status != "5.4.4" else "no such domain")
    return Diagnosis("soft", "a failure the reply does not explain")


def _names(text: str, domain: str) -> bool:
    """True when a server's reply in TEXT names DOMAIN itself (not a host under it, not an
    address at it): "553 example.org does not exist", not "the mail system at example.org"."""
    reply = r"(?<![\w.])(?:[45]\d\d|[45]\.\d{1,3}\.\d{1,3})(?![\w.])[^.;]{0,60}?"
    found = re.search(rf"{reply}(?<![\w.@-]){re.escape(domain)}(?![\w-]|\.\w)", text, re.I)
    return found is not None
