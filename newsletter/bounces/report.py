"""What a delivery report says: each recipient's fate, and what it returns of our message."""

from __future__ import annotations

__all__ = ["DeliveryReport", "Original", "RecipientStatus"]

from dataclasses import dataclass

from newsletter.bounces.diagnosis import Diagnosis, diagnose


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One recipient's fields of a report (RFC 3464 part 2.3), or what the prose says."""

    recipient: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # "5.1.1"; "" when the report gives none
    diagnostic: str = ""
    original_recipient: str = ""
    stage: str = ""  # the SMTP command the reply answered: rcpt, mail, data; "" unknown
    our_domains: tuple[str, ...] = ()  # the sender's domains, other than the recipient's

    @property
    def diagnosis(self) -> Diagnosis:
        return diagnose(self.action, self.status, self.diagnostic, self.stage, self.our_domains)

    @property
    def severity(self) -> str:
        """hard, soft, sender (our side) or none."""
        return self.diagnosis.verdict


@dataclass(frozen=True, slots=True)
class Original:
    """What a report returns of the message it is about (often only its headers)."""

    message_id: str = ""
    list_id: str = ""
    to: tuple[str, ...] = ()
    subject: str = ""
    unsubscribe_token: str = ""  # from its List-Unsubscribe header
    refs: tuple[str, ...] = ()  # its X-Newsletter-Ref header(s)
    return_path: str = ""  # its envelope sender, where the copy keeps a Return-Path
    senders: tuple[str, ...] = ()  # its From, Sender and Return-Path: never a recipient

    def __bool__(self) -> bool:
        return bool(self.message_id or self.to or self.refs or self.senders)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    format: str  # "RFC 3464", "text", "Amazon SES"
    reporter: str  # the report's From address, e.g. MAILER-DAEMON@mx.example.org
    recipients: tuple[RecipientStatus, ...]
    original: Original
