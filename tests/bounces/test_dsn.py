"""Each sample in tests/fixtures/bounces is told apart right, down to address and status."""

import base64
from email import message_from_bytes, policy

import projects
import pytest

from newsletter.bounces.dsn import parse_report, severity
from newsletter.bounces.mailbox import Item
from newsletter.bounces.sorting import Incoming, sort

FIXTURES = projects.FIXTURES / "bounces"
OURS = "medborgardialog.nyhetsbrev.example.org"


def incoming(name: str) -> Incoming:
    path = FIXTURES / name
    return sort(Item(str(path), path.read_bytes()))


@pytest.mark.parametrize(
    "name, form, address, original_recipient, action, status, level, message_id",
    [
        ("postfix_user_unknown.eml", "RFC 3464", "olle@example.org", "",
         "failed", "5.1.1", "hard", "<176449044000.6.17@nyhetsbrev.example.org>"),
        ("exchange_online_ndr.eml", "RFC 3464", "anna.svensson@kommunexample.onmicrosoft.com",
         "anna.svensson@kommun.example.se", "failed", "5.1.10", "hard",
         "<176449044000.6.18@nyhetsbrev.example.org>"),
        ("gmail_failure.eml", "RFC 3464", "sven.nosuchuser@gmail.com", "", "failed", "5.1.1",
         "hard", "<176449044000.6.19@nyhetsbrev.example.org>"),
        ("postfix_mailbox_full_delayed.eml", "RFC 3464", "per@example.net", "",
         "delayed", "4.2.2", "soft", "<176449044000.6.20@nyhetsbrev.example.org>"),
        ("qmail_bounce.eml", "text", "bo.lund@kommun.example.net", "", "failed", "5.1.1",
         "hard", "<176449044000.6.23@nyhetsbrev.example.org>"),
        ("yahoo_failure.eml", "text", "ingen.alls@yahoo.com", "", "failed", "5.0.0",
         "hard", "<176449044000.6.25@nyhetsbrev.example.org>"),
    ],
)  # fmt: skip
def test_delivery_reports_name_recipient_status_and_our_message(
    name: str,
    form: str,
    address: str,
    original_recipient: str,
    action: str,
    status: str,
    level: str,
    message_id: str,
) -> None:
    found = incoming(name)
    assert found.kind == "bounce"
    assert found.report is not None and found.report.format == form
    [recipient] = found.report.recipients
    assert (recipient.recipient, recipient.original_recipient) == (address, original_recipient)
    assert (recipient.action, recipient.status, recipient.severity) == (action, status, level)
    assert found.original.message_id == message_id
    assert found.original.list_id == OURS
    assert found.original.subject == "Medborgardialog nr 6 – december"
    assert found.date == "2026-11-30"


def test_diagnostics_are_unfolded_and_without_their_type() -> None:
    report = incoming("gmail_failure.eml").report
    assert report is not None
    diagnostic = report.recipients[0].diagnostic
    assert diagnostic.startswith("550-5.1.1 The email account that you tried to reach does not ")
    assert "\n" not in diagnostic and diagnostic.endswith("- gsmtp")
    assert report.reporter == "mailer-daemon@googlemail.com"


def test_postfix_says_in_its_prose_which_command_was_answered() -> None:
    # Its Diagnostic-Code leaves "(in reply to RCPT TO command)" out; the prose has it.
    report = incoming("postfix_user_unknown.eml").report
    assert report is not None and report.recipients[0].stage == "rcpt"


def test_a_bounce_of_someone_elses_mail_still_reads_as_a_bounce() -> None:
    found = incoming("not_ours.eml")
    assert found.kind == "bounce" and found.original.list_id == ""
    assert found.original.subject == "Mötet på torsdag"


def test_arf_complaint_names_the_complainant_and_our_message() -> None:
    found = incoming("arf_complaint.eml")
    assert (found.kind, found.complaint_addresses) == ("complaint", ("karin@example.org",))
    assert found.original.message_id == "<176449044000.6.22@nyhetsbrev.example.org>"
    assert found.original.unsubscribe_token == (
        "bWVkYm9yZ2FyZGlhbG9nLkNoTkp0U1h2bExzVlN0RFlrN18w.P0pzNW0fg5Iin6sf_15Zxg"
    )


def test_swedish_out_of_office_is_an_auto_reply() -> None:
    found = incoming("autoreply_sv.eml")
    assert found.kind == "auto-reply"
    assert found.subject == "Automatiskt svar: Medborgardialog nr 6 – december"


def test_auto_reply_known_by_its_subject_alone() -> None:
    data = b"From: a@example.org\nSubject: Autosvar: Nyhetsbrev\nMessage-ID: <x@y>\n\nBorta.\n"
    assert sort(Item("x", data)).kind == "auto-reply"


def test_mailto_unsubscribe_request_carries_its_token() -> None:
    found = incoming("mailto_unsubscribe.eml")
    assert found.kind == "unsubscribe"
    assert found.token == (
        "bWVkYm9yZ2FyZGlhbG9nLmpYZnQ0cDVOdnRSVWhpRnhyWW9K.QbwUAO_pwkvyygVyq-LoPg"
    )


@pytest.mark.parametrize("name", ["garbage.eml", "human_reply.eml"])
def test_other_mail_is_not_understood_and_says_so(name: str) -> None:
    found = incoming(name)
    assert found.kind == "unknown"
    assert found.reason == "not a bounce, complaint, auto-reply or unsubscribe request"


def test_garbage_subject_prints_without_control_characters() -> None:
    assert incoming("garbage.eml").subject.isprintable()


@pytest.mark.parametrize(
    "data, reason",
    [
        (
            b"From: a@example.org\nSubject: unsubscribe\nMessage-ID: <x@y>\n\n\n",
            "without its token",
        ),
        (
            b"From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender\n"
            b"Message-ID: <x@y>\n\nSomething went wrong with your message to someone.\n",
            "without an address we can read",  # a report is never guessed
        ),
    ],
)
def test_what_cannot_be_acted_on_is_not_understood(data: bytes, reason: str) -> None:
    found = sort(Item("x", data))
    assert found.kind == "unknown" and reason in found.reason


def test_exim_prose_bounce_with_x_failed_recipients() -> None:
    data = (
        b"From: Mail Delivery System <Mailer-Daemon@mail.example.se>\n"
        b"To: medborgardialog@nyhetsbrev.example.org\nSubject: Mail delivery failed: "
        b"returning message to sender\nX-Failed-Recipients: gone@example.se\n"
        b"Message-ID: <E1x@mail.example.se>\n\n"
        b"This message was created automatically by mail delivery software.\n\n"
        b"A message that you sent could not be delivered to one or more of its\n"
        b"recipients. This is a permanent error. The following address(es) failed:\n\n"
        b"  gone@example.se\n    host mx.example.se [192.0.2.1]\n"
        b"    SMTP error from remote mail server after RCPT TO:<gone@example.se>:\n"
        b"    550 No such user here\n"
    )
    report = parse_report(message_from_bytes(data, policy=policy.compat32))
    assert report is not None and report.format == "text"
    [recipient] = report.recipients
    assert (recipient.recipient, recipient.status, recipient.stage, recipient.severity) == (
        "gone@example.se", "5.0.0", "rcpt", "hard",
    )  # fmt: skip


@pytest.mark.parametrize(
    "subtype, fields",
    [
        # RFC 6533: an internationalised address, in a part the email package keeps as text.
        ("global-delivery-status", "Final-Recipient: utf-8; björn@exempel.se\nAction: failed\n"
         "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 No such user\n"),
        # Base64 (some gateways encode every part); a Diagnostic-Code without its type.
        ("delivery-status", "Final-Recipient: rfc822; björn@exempel.se\nAction: failed\n"
         "Status: 5.1.1\nDiagnostic-Code: 550 5.1.1 No such user\n"),
    ],
)  # fmt: skip
def test_status_parts_the_email_package_does_not_split(subtype: str, fields: str) -> None:
    text = "Reporting-MTA: dns; mx.example.org\n\n" + fields
    encoded = base64.encodebytes(text.encode()).decode()
    data = (
        "From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; boundary="b";\n'
        " report-type=delivery-status\n\n--b\nContent-Type: text/plain\n\nCould not deliver.\n"
        f"--b\nContent-Type: message/{subtype}\nContent-Transfer-Encoding: base64\n\n"
        f"{encoded}\n--b--\n"
    )
    report = parse_report(message_from_bytes(data.encode(), policy=policy.compat32))
    assert report is not None
    [recipient] = report.recipients
    assert (recipient.recipient, recipient.status, recipient.diagnostic) == (
        "björn@exempel.se", "5.1.1", "550 5.1.1 No such user",
    )  # fmt: skip


@pytest.mark.parametrize(
    "action, status, diagnostic, stage, expected",
    [
        ("failed", "5.1.1", "", "", "hard"),
        ("failed", "5.1.10", "", "", "hard"),
        ("failed", "5.1.351", "Remote server returned unknown recipient", "", "hard"),
        # Exchange Online's directory-based edge blocking: no such recipient in the tenant.
        ("failed", "5.4.1", "Recipient address rejected: Access denied", "", "hard"),
        ("failed", "5.2.2", "mailbox full", "", "soft"),
        # Disabled, suspended: the address exists; the soft limit suppresses it in time.
        ("failed", "5.2.1", "mailbox disabled", "", "soft"),
        ("failed", "5.7.1", "rejected by policy", "", "soft"),
        # "User unknown" only counts as said of the address: at RCPT TO, or with 5.1.x.
        ("failed", "5.0.0", "user unknown", "rcpt", "hard"),
        ("failed", "5.0.0", "user unknown", "data", "soft"),
        ("failed", "5.0.0", "550 Unknown user anna@example.org", "", "soft"),
        ("failed", "5.2.0", "550 Unknown user anna@example.org", "rcpt", "hard"),
        ("failed", "5.0.0", "554 delivery error: dd This user doesn't have a yahoo.com account",
         "", "hard"),
        ("failed", "5.0.0", "550 Recipient rejected by policy", "", "soft"),
        ("failed", "5.0.0", "Host or domain name not found. Name service error for "
         "name=example.invalid type=A: Host not found", "", "hard"),
        # The words name our side: never the reader's fault, whatever the code.
        ("failed", "5.1.1", "550 5.7.26 This message does not pass authentication checks "
         "(SPF and DKIM both do not pass)", "", "sender"),
        ("failed", "5.1.0", "Sender address rejected: Domain not found", "", "sender"),
        ("failed", "5.1.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
         "using zen.spamhaus.org", "", "sender"),
        ("failed", "5.4.4", "452 4.5.3 Too many recipients this hour", "", "sender"),
        ("failed", "5.2.1", "550 5.3.4 max message size exceeded", "", "sender"),
        ("failed", "5.1.1", "550 5.1.1 <anna@example.org>: Recipient address rejected",
         "mail", "sender"),
        ("failed", "5.0.0", "message looks like spam", "", "sender"),
        ("failed", "5.1.8", "Bad sender's system address", "", "sender"),
        ("failed", "5.1.7", "Bad sender's mailbox address syntax", "", "sender"),
        ("failed", "4.4.7", "", "", "soft"),
        ("delayed", "4.2.2", "", "", "soft"),
        ("delayed", "5.1.1", "user unknown", "rcpt", "soft"),
        ("Delivered", "2.0.0", "", "", "none"),
        ("relayed", "2.0.0", "", "", "none"),
        ("expanded", "2.0.0", "", "", "none"),
    ],
)  # fmt: skip
def test_severity(action: str, status: str, diagnostic: str, stage: str, expected: str) -> None:
    assert severity(action, status, diagnostic, stage) == expected


def test_an_address_in_the_reply_is_no_word_of_it() -> None:
    # "filtered@..." filters nothing: the address does not make a hard bounce soft.
    text = "550 5.1.1 <filtered@example.org>: Recipient address rejected: User unknown"
    assert severity("failed", "5.1.1", text, "rcpt") == "hard"
