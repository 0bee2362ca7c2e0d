"""The check before a send: `newsletter check`'s findings, with a real message to score.

The review stage cannot build a message (that is this stage's work), so the check is
given one: the first recipient's, as the send would build it, for SpamAssassin.
"""

from __future__ import annotations

__all__ = ["check_before_send", "sample_message"]

from pathlib import Path

from newsletter.audience.subscribers import Recipients
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config
from newsletter.content.model import Issue
from newsletter.errors import NewsletterError
from newsletter.render.issue import RenderedIssue
from newsletter.review.check.findings import Report
from newsletter.review.check.run import CheckOptions, Sample, check_issue

# Who a sample message goes to when the lists are empty or unread.
_NOBODY = "mottagare@example.org"


def sample_message(config: Config) -> Sample:
    """Builds the first recipient's message as the send would (DKIM-signed when configured)."""
    from newsletter.delivery.message import MessageBuilder, Recipient

    def build(rendered: RenderedIssue, audience: Recipients | None) -> bytes:
        first = audience.subscribers[0] if audience and audience.subscribers else None
        person = Recipient(first.email, first.name, first.fields) if first else Recipient(_NOBODY)
        try:
            builder = MessageBuilder(rendered, config, signer=TokenSigner(load_secret(config)))
            return builder.build(person).data
        except (NewsletterError, ValueError):
            return b""  # its problem is reported where it belongs (the row, the key file)

    return build


def check_before_send(
    path: Path,
    issue: Issue,
    config: Config,
    rendered: RenderedIssue,
    audience: Recipients | None,
    options: CheckOptions,
) -> Report:
    """The findings of `newsletter check` about what is about to be sent."""
    return check_issue(path, options, loaded=(issue, config), rendered=rendered,
                       audience=audience, sample=sample_message(config))  # fmt: skip
