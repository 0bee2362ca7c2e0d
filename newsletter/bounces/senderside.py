"""Problems on our side: what a refusal says about the sender, and what the editor can fix.

A receiving server that refuses a message because of its sender (SPF or DMARC failed,
the sending domain does not resolve, the relay's address is on a blocklist, too many
messages an hour, the message too large or taken for spam) says nothing about the
reader's mailbox, whatever status code it gives: the Exchange Online and Postfix
defaults put 5.1.x and 5.7.x codes on such refusals. Several of them in one import
are an emergency for the editor, so each kind comes with what to do about it.
"""

from __future__ import annotations

__all__ = ["PROBLEMS", "SENDER_ADDRESS", "Problem", "find_problem"]

import re
from dataclasses import dataclass

from newsletter.translate import N_


@dataclass(frozen=True, slots=True)
class Problem:
    """One kind of problem on our side: how to recognise it, and what to say about it."""

    key: str
    title: str  # what happened, in plain words
    fix: str  # what to do about it
    pattern: re.Pattern[str]


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# In order: the first that matches names the problem. The patterns are phrases mail
# servers use (Postfix, Exim, Exchange Online, Gmail, Yahoo, the blocklists' own words).
PROBLEMS: tuple[Problem, ...] = (
    Problem(
        "authentication",
        N_(
            "receiving servers could not confirm that the newsletter comes from your domain "
            "(SPF, DKIM or DMARC failed)"
        ),
        N_(
            "Check the SPF record of your sending domain (it must name the relay in "
            "[smtp] host), sign the messages with DKIM ([dkim] in newsletter.toml) and "
            "check the domain's DMARC record. Your IT department or mail provider can do this."
        ),
        _words(
            r"\bspf\b",
            r"sender policy framework",
            r"\bdkim\b",
            r"\bdmarc\b",
            r"domainkeys",
            r"sender[- ]id\b",
            r"5\.7\.(?:23|25|26|509|510|515)\b",
            r"authentication (?:check )?fail",
            r"failed (?:the )?authentication",
            r"not (?:properly )?authenticated",
            r"unauthenticated (?:email|mail|sender)",
        ),
    ),
    Problem(
        "sender-address",
        N_("receiving servers refused the sender address or its domain"),
        N_(
            "Check that from_address in newsletter.toml is a real, working address and "
            "that its domain exists in DNS (with MX or A records); send yourself a test."
        ),
        _words(
            r"sender (?:address |domain )?(?:rejected|refused|denied|unknown|invalid)",
            r"sender (?:address |domain )?(?:is )?(?:not (?:found|allowed|valid)|blocked)",
            r"sender verif\w* fail",
            r"unverifiable sender",
            r"unroutable sender",
            r"(?:sender|envelope[- ]from|return[- ]path|mail from)\W{1,3}(?:\S+\s){0,6}"
            r"(?:domain|address) (?:not found|does not exist|unknown|must resolve|"
            r"cannot be verified)",
            r"\b5\.1\.[78]\b",
            r"\b5\.7\.27\b",
            r"\b5\.7\.1 .{0,40}sender",
            r"domain of sender address \S+ does not exist",
            r"sender domain must",
        ),
    ),
    Problem(
        "reputation",
        N_("the relay's address or your domain is on a blocklist, or its reputation is poor"),
        N_(
            "Look the relay's IP address up at the blocklist the reply names (Spamhaus, "
            "Barracuda, Spamcop, ...) and ask the relay's administrator to have it removed; "
            "check whether the domain's other mail is being sent as spam."
        ),
        _words(
            r"spamhaus",
            r"spamcop",
            r"barracuda",
            r"\bsorbs\b",
            r"uceprotect",
            r"\bpsbl\b",
            r"\bcbl\b",
            r"\bdnsbl\b",
            r"\brbl\b",
            r"black ?list",
            r"block ?list",
            r"blocked using",
            r"(?<!not )listed (?:on|in|at|by) (?!\S+ directory)",
            r"reputation",
            r"\bbanned\b",
            r"(?:your|sending|sender|client|connecting) ip(?: address)?\b.{0,40}"
            r"(?:block|reject|refus|list|ban|not allowed)",
            r"ip (?:address )?(?:\S+ )?(?:is |has been )?(?:blocked|banned|blacklisted)",
            r"5\.7\.(?:606|511|512)\b",
            r"access denied.{0,20}banned",
            r"service (?:is )?unavailable.{0,30}client host .{0,60}blocked",
            # Refused before any address was given: the relay itself is not welcome.
            r"(?:after|at) (?:the )?(?:initial connection|greeting|connect\b)",
        ),
    ),
    Problem(
        "volume",
        N_(
            "the newsletter went out faster or to more readers than receiving servers or "
            "the relay allow"
        ),
        N_(
            "Lower [smtp] per_minute or per_hour in newsletter.toml (or ask the relay's "
            "administrator for a higher limit); the readers will get the next issue."
        ),
        _words(
            # Not "too many messages on the server": that is a full mailbox.
            r"too many (?:messages|recipients|connections|mails|emails|concurrent)"
            r"(?! (?:on|in) (?:the|this|his|her|their) (?:server|mailbox|account))",
            r"(?:rate|sending|submission|send) (?:limit|quota)",
            r"rate[- ]?limit",
            r"throttl",
            r"limit (?:exceeded|reached).{0,40}(?:hour|day|minute)",
            r"(?:hourly|daily|per (?:hour|day|minute)) (?:\S+ )?(?:limit|quota|threshold)",
            r"exceeded .{0,30}(?:sending|message|recipient) (?:limit|rate)",
            r"slow down",
            r"5\.7\.70[05]\b",
        ),
    ),
    Problem(
        "dns",
        N_(
            "the relay's address or name does not look right in DNS (no reverse DNS, or a "
            "wrong HELO name)"
        ),
        N_(
            "Ask the relay's administrator to give its IP address a reverse DNS (PTR) name "
            "that resolves back to it and to greet with that name (HELO/EHLO)."
        ),
        _words(
            r"reverse (?:dns|lookup|hostname)",
            r"\bptr\b",
            r"\brdns\b",
            r"cannot find your (?:reverse )?hostname",
            r"ip name lookup failed",
            # A transcript names HELO and EHLO too: only a refusal of them counts.
            r"(?:helo|ehlo)\b.{0,40}(?:reject|refus|invalid|denied|not (?:allowed|accepted)|"
            r"does not resolve|must)",
            r"in reply to (?:helo|ehlo)\b",
            r"(?:bad|invalid|unknown|illegal) (?:helo|ehlo)\b",
            r"client host rejected: cannot find",
            r"(?:your|sending) (?:host ?name|ip)"
            r" (?:does not|doesn't|did not) (?:match|resolve)",
        ),
    ),
    Problem(
        "size",
        N_("the message was larger than receiving servers accept"),
        N_(
            "Make the newsletter smaller: fewer or smaller images (hosted, not embedded), "
            "shorter text; `newsletter render` shows its size."
        ),
        _words(
            r"(?<!mailbox )(?<!storage )message (?:size|length) (?:\S+ )?"
            r"exceed",
            r"(?:message|mail) (?:is )?too (?:large|big)",
            r"exceed\w* (?:the )?(?:max\w*|fixed max\w*) (?:incoming |inbound )?"
            r"(?:message )?size",
            r"max(?:imum)? message size",
            r"\b5\.3\.4\b",
            r"\b5\.2\.3\b",
            r"class=size",
            r"(?<!mailbox )(?<!storage )size limit (?!.{0,20}mailbox)",
        ),
    ),
    Problem(
        "content",
        N_("receiving servers took the newsletter for spam or refused its content"),
        N_(
            "Check the links (a domain on a URI blocklist such as URIBL or SURBL), the images "
            "and the wording; send a test to a Gmail and an Outlook.com address to see where "
            "it lands."
        ),
        _words(
            r"spam",
            r"\bjunk",
            r"virus",
            r"malware",
            r"phish",
            r"uribl",
            r"surbl",
            r"content (?:rejected|refused|filter|policy|not accepted)",
            r"message (?:content|body) (?:rejected|refused|not accepted)",
            r"rejected (?:due to|because of|for) (?:its |the )?content",
            r"looks? like (?:unsolicited|bulk)",
            r"unsolicited",
            r"bulk (?:e-?)?mail",
            r"\b5\.7\.1 .{0,60}content",
            r"\b5\.6\.\d+\b",
        ),
    ),
)


SENDER_ADDRESS = next(problem for problem in PROBLEMS if problem.key == "sender-address")


def find_problem(text: str, /) -> Problem | None:
    """The problem on our side that TEXT (a server's reply) names, if any."""
    return next((problem for problem in PROBLEMS if problem.pattern.search(text)), None)
