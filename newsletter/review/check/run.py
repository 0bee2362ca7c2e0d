"""`newsletter check`: every check of an issue at once, as one report.

What needs no network first (the content against its data, personal fields against the
lists, base_url, size), then everything that does, concurrently: links and images, the
sender's DNS records, the web side, mailto: domains, and SpamAssassin beside them. Only
once all have answered is it known whether the network was there at all: when nothing
resolved and nothing answered, their failures are one warning, not an error each.
"""

from __future__ import annotations

__all__ = ["CheckOptions", "Sample", "check_issue"]

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsletter.audience.subscribers import Recipients, recipients
from newsletter.audience.tokens import key_fingerprint, load_secret
from newsletter.config import Config
from newsletter.content.loader import read_issue_text
from newsletter.content.model import Issue
from newsletter.content.project import load
from newsletter.errors import NewsletterError, RenderError
from newsletter.render.issue import RenderedIssue, render_issue
from newsletter.review.check import spam
from newsletter.review.check.cache import LinkCache
from newsletter.review.check.content import content_findings
from newsletter.review.check.fetch import Fetcher
from newsletter.review.check.findings import Finding, Report
from newsletter.review.check.links import LinkCheck
from newsletter.review.check.mailto import MailtoCheck
from newsletter.review.check.network import Network
from newsletter.review.check.personal import personal_findings
from newsletter.review.check.places import Places
from newsletter.review.check.sender import SenderCheck
from newsletter.review.check.targets import mail_targets, web_targets
from newsletter.review.check.website import WebSideCheck, base_url_findings
from newsletter.translate import _

# One message as the first reader gets it (delivery builds it): for SpamAssassin.
Sample = Callable[[RenderedIssue, Recipients | None], bytes]


@dataclass(frozen=True, slots=True)
class CheckOptions:
    lists: Sequence[str] = ()  # default: the newsletter's default list
    offline: bool = False
    real: bool | None = None  # a real send (errors refuse); None: when an SMTP host is set
    today: dt.date | None = None
    timeout: float | None = None  # seconds per request; default: [check] timeout


@dataclass(slots=True)
class _Context:
    path: Path
    issue: Issue
    config: Config
    places: Places
    report: Report
    options: CheckOptions


def check_issue(
    path: Path,
    /,
    options: CheckOptions = CheckOptions(),
    *,
    loaded: tuple[Issue, Config] | None = None,
    rendered: RenderedIssue | None = None,
    audience: Recipients | None = None,
    sample: Sample | None = None,
) -> Report:
    """Every finding about the issue at PATH; what the caller has loaded already is reused."""
    issue, config = loaded or load(path)
    real = bool(config.smtp.host) if options.real is None else options.real
    places = Places(read_issue_text(path), str(path))
    at = _Context(path, issue, config, places, Report(str(path), real=real), options)
    rendered = rendered or _render(at)
    audience = audience or _audience(at)
    targets = web_targets(issue, config, places) + mail_targets(issue, config, places)
    today = options.today or dt.date.today()
    at.report.extend(content_findings(issue, places, targets, today=today))
    at.report.extend(base_url_findings(config))
    if audience is not None:
        at.report.extend(personal_findings(issue, places, audience))
    if rendered is not None:
        at.report.extend(spam.size_findings(rendered, places.file()))
        at.report.extend(_render_warnings(rendered, at))
    message = (sample(rendered, audience) if sample and rendered else None) or None
    asyncio.run(_online(at, message))
    return at.report


def _render(at: _Context) -> RenderedIssue | None:
    try:
        return render_issue(at.issue, at.config)
    except RenderError as exc:
        at.report.add(Finding("error", "render", at.places.file(), str(exc)))
        return None


def _audience(at: _Context) -> Recipients | None:
    from newsletter.state import connect

    try:
        db = connect(at.config)
        try:
            return recipients(at.config, db, at.options.lists, newsletter=at.issue.newsletter)
        finally:
            db.close()
    except NewsletterError as exc:
        at.report.add(
            Finding(
                "error",
                "list",
                at.places.file(),
                _("the lists cannot be read, so personal fields were not checked: {exc}").format(
                    exc=exc
                ),
            )
        )
        return None


def _render_warnings(rendered: RenderedIssue, at: _Context) -> list[Finding]:
    # Size and http: links have findings of their own, at their places.
    return [
        Finding("warning", "render", at.places.file(), warning)
        for warning in rendered.warnings
        if not warning.startswith(("the HTML is", "http://"))
    ]


async def _online(at: _Context, message: bytes | None) -> None:
    settings = at.config.check
    scoring = (
        asyncio.ensure_future(spam.score(message)) if message and settings.spamassassin else None
    )
    if at.options.offline:
        at.report.add(
            Finding(
                "note",
                "offline",
                at.places.file(),
                _(
                    "--offline: links, images, the sender's DNS records and the web side at "
                    "base_url were not checked."
                ),
            )
        )
    else:
        await _network_checks(at)
    result = await scoring if scoring is not None else None
    if message is not None:
        at.report.extend(
            spam.spam_findings(result, at.places.file(), enabled=settings.spamassassin)
        )


async def _network_checks(at: _Context) -> None:
    issue, config, places = at.issue, at.config, at.places
    network = Network(config.check, at.options.timeout or config.check.timeout)
    async with Fetcher.make_client(network.timeout) as client:
        fetcher = Fetcher(network, client, per_host=config.check.per_host)
        links = LinkCheck(web_targets(issue, config, places), fetcher, LinkCache(config.state_dir))
        mail = MailtoCheck(mail_targets(issue, config, places), network)
        sender = SenderCheck(config, config.newsletter(issue.newsletter), network)
        fingerprint = key_fingerprint(load_secret(config))
        web = WebSideCheck(config, fetcher, network, fingerprint)
        await asyncio.gather(links.run(), mail.run(), sender.run(), web.run())
    works = network.works
    for found in (
        links.findings(network_works=works),
        mail.findings(network_works=works),
        sender.findings(network_works=works),
        web.findings(network_works=works),
    ):
        at.report.extend(found)
    unreached = links.unreached()
    if not works and (unreached or sender.unreached or web.unreached or mail.targets):
        at.report.add(_no_network(at, network, len(unreached)))


def _no_network(at: _Context, network: Network, links: int) -> Finding:
    why = network.unconfigured or _("no name resolved and no server answered")
    return Finding(
        "warning",
        "no-network",
        at.places.file(),
        _(
            "no network: {why}, so {links} link(s) and image(s), the sender's DNS records, "
            "mailto: domains and the web side at base_url were not checked. Check again where the"
            " internet can be reached."
        ).format(why=why, links=links),
    )
