"""The deviations real mail servers make, each in a small message of its own.

The corpus test (test_corpus.py) holds the reader to the real samples; these name
each deviation issue 13 lists, so that a change that breaks one says which.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsletter.bounces.mailbox import Item, read_mailbox
from newsletter.bounces.sorting import Incoming, sort

REPORT = (
    "From: MAILER-DAEMON@mx.example.org\nTo: medborgardialog@nyhetsbrev.example.org\n"
    "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <r1@mx.example.org>\n"
    "MIME-Version: 1.0\n"
)


def sorted_(text: str) -> Incoming:
    return sort(Item("test", text.encode("utf-8")))


def recipients(text: str) -> list[tuple[str, str, str, str]]:
    found = sorted_(text)
    assert found.kind == "bounce", found.reason
    assert found.report is not None
    return [(r.recipient, r.action, r.status, r.severity) for r in found.report.recipients]


def multipart(kind: str, *parts: tuple[str, str]) -> str:
    body = "".join(f"--b\nContent-Type: {t}\n\n{text}\n" for t, text in parts)
    return f'{REPORT}Content-Type: {kind}; boundary="b"\n\n{body}--b--\n'


FIELDS = "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; anna@example.org\n"


@pytest.mark.parametrize(
    "kind",
    [
        "multipart/report; report-type=delivery-status",
        "multipart/report",  # without report-type
        "multipart/mixed",  # a delivery-status part inside multipart/mixed
    ],
)
def test_a_delivery_status_part_wherever_it_stands(kind: str) -> None:
    text = multipart(kind, ("text/plain", "Could not deliver."), ("message/delivery-status",
                     FIELDS + "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 "
                     "User unknown\n"))  # fmt: skip
    assert recipients(text) == [("anna@example.org", "failed", "5.1.1", "hard")]


@pytest.mark.parametrize(
    "fields, expected",
    [
        # AOL: per-message and per-recipient fields in one block.
        ("Reporting-MTA: dns; mx.aol.com\nArrival-Date: today\nFinal-Recipient: rfc822; "
         "anna@example.org\nAction: failed\nStatus: 5.1.1\n", ("failed", "5.1.1")),
        # MessageLabs: a continuation line without indent.
        (FIELDS + "Action: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 Requested action\n"
         "not taken: mailbox unavailable\n", ("failed", "5.0.0")),
        # Mimecast: `Field : value`.
        ("Final-Recipient : rfc822;anna@example.org\nAction : failed\nStatus : 5.4.1\n",
         ("failed", "5.4.1")),
        # `Action: failure`, and a status without its RFC 3463 code.
        (FIELDS + "Action: failure\nStatus: 553 Exceeded maximum inbound message size\n",
         ("failed", "5.0.0")),
        # A LOCAL Final-Recipient.
        ("Final-Recipient: LOCAL; anna@example.org\nAction: delayed\nStatus: 4.4.1\n",
         ("delayed", "4.4.1")),
    ],
)  # fmt: skip
def test_deviant_fields(fields: str, expected: tuple[str, str]) -> None:
    kind = "multipart/report; report-type=delivery-status"
    text = multipart(kind, ("text/plain", "Failed."), ("message/delivery-status", fields))
    [(address, action, status, _)] = recipients(text)
    assert (address, action, status) == ("anna@example.org", *expected)


def test_messagelabs_continuation_joins_the_diagnostic() -> None:
    fields = (FIELDS + "Action: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 Requested "
              "action\nnot taken: mailbox unavailable\n")  # fmt: skip
    found = sorted_(multipart("multipart/report", ("message/delivery-status", fields)))
    assert found.report is not None
    assert found.report.recipients[0].diagnostic.endswith("action not taken: mailbox unavailable")


def test_recipients_only_in_the_prose_of_a_report() -> None:
    text = multipart(
        "multipart/report; report-type=delivery-status",
        ("text/plain", "Delivery has failed to these recipients or groups:\n\n"
         "anna@example.org\nThe email address you entered couldn't be found.\n\n"
         "Diagnostic information for administrators:\n\nRemote Server returned "
         "'550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found'\n"),
        ("message/delivery-status", "Reporting-MTA: dns; outlook.example.com\n"),
    )  # fmt: skip
    assert recipients(text) == [("anna@example.org", "failed", "5.1.10", "hard")]


def test_a_text_part_with_a_content_disposition_is_read() -> None:
    # It crashed the plain-text reader once (get_body() on a compat32 message).
    text = (
        f"{REPORT}Content-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\n\n"
        "Hi. This is the qmail-send program.\n\n<anna@example.org>:\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\n"
    )
    assert recipients(text) == [("anna@example.org", "failed", "5.1.1", "hard")]


def test_a_broken_boundary_parameter_is_repaired() -> None:
    text = REPORT.replace("MIME-Version: 1.0\n", "") + (
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n'
        '\tboundary="b" Message-Id: <glued@mx.example.org>\n\n--b\nContent-Type: text/plain\n\n'
        "<anna@example.org>: host mx said: 550 5.7.1 Probable spam (in reply to end of DATA)\n"
        "--b--\n"
    )  # fmt: skip
    assert recipients(text) == [("anna@example.org", "failed", "5.7.1", "sender")]


def test_a_report_forwarded_as_an_attachment_is_read() -> None:
    inner = (
        "From: MAILER-DAEMON@mx.example.org\nSubject: failure notice\n\n"
        "<anna@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n"
    )
    text = (
        "From: helpdesk@example.org\nSubject: Fwd: failure notice\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
        f"See below.\n--b\nContent-Type: message/rfc822\n\n{inner}\n--b--\n"
    )
    assert recipients(text) == [("anna@example.org", "failed", "5.1.1", "hard")]


def test_a_mail_server_marks_its_bounce_auto_replied_and_it_is_still_a_bounce() -> None:
    # RFC 3834 part 5: servers put this on their reports too; it is asked last.
    text = (
        REPORT
        + "Auto-Submitted: auto-replied\n\n"
        + ("<anna@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n")
    )
    assert recipients(text) == [("anna@example.org", "failed", "5.1.1", "hard")]


def test_a_report_that_names_no_address_is_listed_not_dropped() -> None:
    text = REPORT + "Auto-Submitted: auto-replied\n\nYour message could not be delivered.\n"
    found = sorted_(text)
    assert found.kind == "unknown" and "without an address" in found.reason


def test_an_auto_reply_that_says_the_mailbox_is_gone_is_a_soft_failure() -> None:
    text = (
        "From: anna@example.org\nSubject: Autosvar: Medborgardialog\nAuto-Submitted: "
        "auto-replied\nIn-Reply-To: <176449044000.6.17@nyhetsbrev.example.org>\n\n"
        "This mailbox is no longer in use. Please write to info@example.org instead.\n"
    )
    found = sorted_(text)
    assert found.report is not None
    [failure] = found.report.recipients
    assert (failure.recipient, failure.severity) == ("anna@example.org", "soft")
    assert found.original.message_id == "<176449044000.6.17@nyhetsbrev.example.org>"


def test_apple_mail_unsubscribe_is_an_unsubscribe_not_an_auto_reply() -> None:
    text = (
        "From: anna@example.org\nTo: medborgardialog@example.org\n"
        "Subject: unsubscribe bWVk.c2ln\nX-Apple-Unsubscribe: true\n"
        "Auto-Submitted: auto-generated\n\nThis message was automatically generated by Mail.\n"
    )
    found = sorted_(text)
    assert (found.kind, found.token) == ("unsubscribe", "bWVk.c2ln")


ARF = (
    "From: feedback@fbl.example.net\nSubject: complaint\nMIME-Version: 1.0\n"
    'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\n\n'
    "--b\nContent-Type: text/plain\n\nA complaint.\n"
    "--b\nContent-Type: message/feedback-report\n\nFeedback-Type: {kind}\nVersion: 1\n"
    "{recipients}\n--b\nContent-Type: text/rfc822-headers\n\n"
    "Message-ID: <176449044000.6.22@nyhetsbrev.example.org>\nTo: [redacted]\n\n--b--\n"
)


def test_every_recipient_of_an_arf_report_complained() -> None:
    rcpts = "Original-Rcpt-To: anna@example.org\nOriginal-Rcpt-To: <bo@example.net>\n"
    found = sorted_(ARF.format(kind="abuse", recipients=rcpts))
    assert found.kind == "complaint"
    assert found.complaint_addresses == ("anna@example.org", "bo@example.net")


@pytest.mark.parametrize(
    "kind, expected", [("opt-out", "unsubscribe"), ("not-spam", "feedback"), ("fraud", "complaint")]
)
def test_feedback_types(kind: str, expected: str) -> None:
    found = sorted_(ARF.format(kind=kind, recipients="Removal-Recipient: anna@example.org\n"))
    assert (found.kind, found.complaint_addresses) == (expected, ("anna@example.org",))


def test_an_older_hotmail_complaint_names_its_recipient_in_a_header() -> None:
    text = (
        "From: staff@hotmail.com\nSubject: complaint about message from 192.0.2.1\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
        "--b\nContent-Type: message/rfc822\n\nX-HmXmrOriginalRecipient: anna@example.org\n"
        "Message-ID: <176449044000.6.22@nyhetsbrev.example.org>\nTo: anna@example.org\n\n"
        "Hej\n--b--\n"
    )
    found = sorted_(text)
    assert (found.kind, found.complaint_addresses) == ("complaint", ("anna@example.org",))
    assert found.original.message_id == "<176449044000.6.22@nyhetsbrev.example.org>"


SES = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        "bouncedRecipients": [
            {"emailAddress": "anna@example.org", "status": "5.1.1", "action": "failed",
             "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
        ],
    },
    "mail": {
        "source": "bounces+1-2-abcdefghijklmnop@nyhetsbrev.example.org",
        "headers": [{"name": "X-Newsletter-Ref", "value": "1-2-abcdefghijklmnop"},
                    {"name": "Message-ID", "value": "<m1@nyhetsbrev.example.org>"}],
    },
}  # fmt: skip


def test_an_ses_notification_saved_as_a_json_file(tmp_path: Path) -> None:
    (tmp_path / "notices").mkdir()
    (tmp_path / "notices" / "one.json").write_text(json.dumps(SES))
    [item] = read_mailbox(tmp_path / "notices")
    found = sort(item)
    assert found.kind == "bounce" and found.report is not None
    assert [(r.recipient, r.severity) for r in found.report.recipients] == [
        ("anna@example.org", "hard")
    ]
    assert found.original.refs == ("1-2-abcdefghijklmnop",)
    assert found.original.return_path == "bounces+1-2-abcdefghijklmnop@nyhetsbrev.example.org"
    assert found.original.message_id == "<m1@nyhetsbrev.example.org>"


def test_an_ses_complaint_mailed_by_sns_in_its_envelope() -> None:
    notice = dict(SES, notificationType="Complaint", complaint={
        "complainedRecipients": [{"emailAddress": "anna@example.org"}],
        "complaintFeedbackType": "abuse"})  # fmt: skip
    envelope = {"Type": "Notification", "Message": json.dumps(notice)}
    text = (
        "From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n"
        f"{json.dumps(envelope, indent=2)}\n--\nIf you wish to stop receiving notifications...\n"
    )
    found = sorted_(text)
    assert (found.kind, found.complaint_addresses) == ("complaint", ("anna@example.org",))


def test_a_transient_ses_bounce_is_soft() -> None:
    notice = json.loads(json.dumps(SES))
    notice["bounce"]["bounceType"] = "Transient"
    found = sort(Item("x.json", json.dumps(notice).encode()))
    assert found.report is not None and found.report.recipients[0].severity == "soft"


def test_a_japanese_reply_written_raw_in_iso_2022_jp_is_read() -> None:
    words = "ユーザーは見つかりません".encode("iso2022_jp").decode("ascii")
    fields = FIELDS + f"Action: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 {words}\n"
    found = sorted_(multipart("multipart/report", ("message/delivery-status", fields)))
    assert found.report is not None
    assert found.report.recipients[0].diagnostic == "550 ユーザーは見つかりません"


def test_a_reply_naming_our_own_domain_is_our_problem() -> None:
    # "553 <our domain> does not exist": the receiving server cannot resolve the sender's
    # domain (Exim writes this after DATA); sisimai calls it hostunknown, it is ours.
    text = (
        "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
        "To: medborgardialog@nyhetsbrev.example.org\nSubject: Mail delivery failed\n"
        "X-Failed-Recipients: anna@example.org\n\nThe following address(es) failed:\n\n"
        "  anna@example.org\n    SMTP error from remote mail server after end of data:\n"
        "    553 nyhetsbrev.example.org does not exist\n"
    )
    [(address, _, _, verdict)] = recipients(text)
    assert (address, verdict) == ("anna@example.org", "sender")
    # A host under our domain in the prose is no such reply.
    mx = text.replace("553 nyhetsbrev.example.org does not exist", "550 5.1.1 user unknown "
                      "(relayed by smtp.nyhetsbrev.example.org)")  # fmt: skip
    assert recipients(mx)[0][3] == "hard"
