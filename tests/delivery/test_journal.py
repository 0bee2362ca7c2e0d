"""The journal's state machine: freeze, read, hand over, record, resume, uncertain rows."""

import os
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from backends import connect_url

from newsletter.audience import suppression
from newsletter.audience.subscribers import Subscriber
from newsletter.audience.tokens import TokenSigner
from newsletter.delivery import journal
from newsletter.state import Connection
from newsletter.state.sqlite import SqliteConnection

SIGNER = TokenSigner(b"0123456789abcdef0123456789abcdef")


def people(count: int, start: int = 0) -> list[Subscriber]:
    return [
        Subscriber(f"p{n}@example.org", f"Person {n}", {"kommun": "Umeå"}, f"l.csv:{n + 2}")
        for n in range(start, start + count)
    ]


def frozen(db: Connection, count: int = 10) -> journal.Send:
    return journal.freeze(db, newsletter="nl", slug="2024-01", subject="Nr 1", lists=["l"],
                          subscribers=people(count), fingerprint="f", signer=SIGNER)  # fmt: skip


def statuses(db: Connection) -> list[str]:
    return [row[0] for row in db.execute("SELECT status FROM recipients ORDER BY seq")]


def deliver(db: Connection, send: journal.Send, rows: list[journal.Row],
            outcome: str = "sent", **kw: object) -> None:  # fmt: skip
    journal.record(db, send, [journal.Delivery(r.seq, r.address, outcome, f"reply {r.seq}",  # type: ignore[arg-type]
                                               f"<{r.seq}@x>", **kw) for r in rows])  # type: ignore[arg-type]  # fmt: skip


def test_freeze_records_every_recipient_queued_with_its_token_id(db: Connection) -> None:
    send = frozen(db, 3)
    assert journal.find(db, "nl", "2024-01") == send
    assert journal.counts(db, send) == journal.Counts(queued=3)
    row = db.execute("SELECT address, address_id, name, fields FROM recipients WHERE seq = 2")
    assert tuple(row.fetchone()) == (
        "p1@example.org", SIGNER.address_id("p1@example.org", "nl"), "Person 1",
        '{"kommun": "Umeå"}',
    )  # fmt: skip


def hand(db: Connection, send: journal.Send, rows: list[journal.Row]) -> None:
    journal.apply(db, send, [journal.Handed(row.seq) for row in rows])


def test_rows_read_to_send_stay_queued_until_handed_over(db: Connection) -> None:
    send = frozen(db, 5)
    rows, last = journal.next_rows(db, send, status="queued", after=0, limit=3)
    assert [r.seq for r in rows] == [1, 2, 3] and last == 3
    assert rows[0].fields == {"kommun": "Umeå"}
    assert statuses(db) == ["queued"] * 5  # a crash now leaves nothing uncertain
    hand(db, send, rows)
    assert statuses(db) == ["sending"] * 3 + ["queued"] * 2
    deliver(db, send, rows[:2])
    deliver(db, send, rows[2:], "failed")
    assert statuses(db) == ["sent", "sent", "failed", "queued", "queued"]
    reply = db.execute("SELECT reply, message_id, attempts FROM recipients WHERE seq = 3")
    assert tuple(reply.fetchone()) == ("reply 3", "<3@x>", 1)


def test_changes_are_applied_in_order_in_one_transaction(db: Connection) -> None:
    send = frozen(db, 3)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=3)
    one, two, three = rows
    journal.apply(db, send, [
        journal.Handed(1), journal.Handed(2),
        journal.Delivery(1, one.address, "sent", "250 ok", "<1@x>"),
        journal.Delivery(2, two.address, "deferred", "451 4.3.0 later"),
        journal.Handed(3), journal.Handed(2),  # the deferred one goes again
        journal.Delivery(3, three.address, "uncertain", "connection lost after ...", "<3@x>"),
    ])  # fmt: skip
    assert statuses(db) == ["sent", "sending", "sending"]
    found = db.execute("SELECT seq, attempts, reply, message_id FROM recipients ORDER BY seq")
    assert [tuple(row) for row in found] == [
        (1, 1, "250 ok", "<1@x>"),
        (2, 2, "451 4.3.0 later", None),
        (3, 1, "connection lost after ...", "<3@x>"),
    ]


def test_a_change_that_cannot_be_written_leaves_the_transaction_out_whole(
    db: Connection,
) -> None:
    send = frozen(db, 2)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=2)
    hand(db, send, rows[:1])
    broken = journal.Delivery(1, rows[0].address, "nonsense", "250 ok")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        journal.apply(db, send, [journal.Handed(2), broken])
    assert statuses(db) == ["sending", "queued"]


def test_resuming_reads_only_queued_rows_and_never_a_sent_one(db: Connection) -> None:
    send = frozen(db, 4)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=2)
    hand(db, send, rows)
    deliver(db, send, rows)
    again, _ = journal.next_rows(db, send, status="queued", after=0, limit=10)
    assert [r.seq for r in again] == [3, 4]


def test_rows_left_sending_by_a_crash_stay_uncertain_until_requeued(
    db: Connection,
) -> None:
    send = frozen(db, 4)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=2)
    hand(db, send, rows)  # the process dies here, the two messages on the wire
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=10)
    hand(db, send, rows)
    deliver(db, send, rows)
    assert journal.counts(db, send) == journal.Counts(sending=2, sent=2)
    assert journal.requeue_uncertain(db, send) == 2
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=10)
    assert [r.seq for r in rows] == [1, 2]
    hand(db, send, rows)
    assert [row[0] for row in db.execute("SELECT attempts FROM recipients ORDER BY seq")] == [
        2, 2, 1, 1,
    ]  # fmt: skip


def test_retry_failed_reads_failed_rows_once_per_run(db: Connection) -> None:
    send = frozen(db, 3)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=10)
    deliver(db, send, rows[:1], "failed")
    deliver(db, send, rows[1:])
    retry, last = journal.next_rows(db, send, status="failed", after=0, limit=10)
    assert [r.seq for r in retry] == [1]
    deliver(db, send, retry, "failed")
    # The cursor moves on: a row failing again is not read again in the same run.
    assert journal.next_rows(db, send, status="failed", after=last or 0, limit=10) == ([], None)


def test_an_address_suppressed_after_freezing_is_skipped(db: Connection) -> None:
    send = frozen(db, 3)
    suppression.suppress(db, "P2@example.org", reason="unsubscribed", newsletter="nl")
    suppression.suppress(db, "p0@example.org", reason="unsubscribed", newsletter="other")
    rows, last = journal.next_rows(db, send, status="queued", after=0, limit=10)
    assert [r.seq for r in rows] == [1, 2] and last == 3
    assert statuses(db) == ["queued", "queued", "skipped"]


def test_retrying_failures_keeps_a_bounced_row_failed_with_its_reply(
    db: Connection,
) -> None:
    send = frozen(db, 2)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=2)
    deliver(db, send, rows[:1], "failed", bounced=True)
    deliver(db, send, rows[1:], "failed")
    retry, last = journal.next_rows(db, send, status="failed", after=0, limit=10)
    assert [r.seq for r in retry] == [2] and last == 2
    assert statuses(db) == ["failed", "failed"]
    assert db.execute("SELECT reply FROM recipients WHERE seq = 1").fetchone()[0] == "reply 1"


def test_a_batch_of_only_suppressed_rows_does_not_end_the_reading(db: Connection) -> None:
    send = frozen(db, 3)
    suppression.suppress(db, "p0@example.org", reason="bounced")
    assert journal.next_rows(db, send, status="queued", after=0, limit=1) == ([], 1)


def test_a_bounce_suppresses_the_address_for_every_newsletter(db: Connection) -> None:
    send = frozen(db, 2)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=1)
    deliver(db, send, rows, "failed", bounced=True)
    [entry] = suppression.entries(db)
    assert (entry.address, entry.reason, entry.newsletter) == ("p0@example.org", "bounced", "")
    assert "reply 1" in entry.source


@pytest.mark.parametrize("outcome", ["stop", "deferred"])
def test_a_stop_or_a_deferral_puts_the_row_back_in_the_queue_with_the_reply(
    db: Connection, outcome: str
) -> None:
    send = frozen(db, 2)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=2)
    hand(db, send, rows[:1])
    deliver(db, send, rows[:1], outcome)
    assert statuses(db) == ["queued", "queued"]
    assert db.execute("SELECT reply FROM recipients WHERE seq = 1").fetchone()[0] == "reply 1"


def test_new_subscribers_are_appended_after_the_frozen_rows(db: Connection) -> None:
    send = frozen(db, 2)
    journal.append(db, send, people(1, start=5), signer=SIGNER)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=10)
    assert [(r.seq, r.address) for r in rows][-1] == (3, "p5@example.org")


def test_skipped_rows_are_never_claimed(db: Connection) -> None:
    send = frozen(db, 3)
    journal.skip(db, send, [2], reply="no longer on the lists")
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=10)
    assert [r.seq for r in rows] == [1, 3]
    assert journal.counts(db, send).skipped == 1


def test_finish_keeps_the_first_finish_time(db: Connection) -> None:
    send = journal.finish(db, frozen(db, 1))
    assert send.finished_at
    db.execute("UPDATE sends SET finished_at = '2000-01-01T00:00:00Z'")
    assert journal.finish(db, send).finished_at == "2000-01-01T00:00:00Z"


def test_sent_ages_are_those_of_every_send_within_the_window(db: Connection) -> None:
    send = frozen(db, 4)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=4)
    deliver(db, send, rows[:3])
    deliver(db, send, rows[3:], "failed")
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.execute("UPDATE recipients SET updated_at = ? WHERE seq = 1", (two_hours_ago,))
    db.execute("UPDATE recipients SET updated_at = '2020-01-01T00:00:00Z' WHERE seq = 2")
    ages = sorted(journal.sent_ages(db, within=86400))
    assert len(ages) == 2 and 0 <= ages[0] < 5 and abs(ages[1] - 7200) < 5
    assert len(journal.sent_ages(db, within=3600)) == 1


def test_suppressed_failures_counts_beyond_sqlites_parameter_limit(
    db: Connection,
) -> None:
    if isinstance(db, SqliteConnection):  # as older SQLite builds have it
        db.raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    send = frozen(db, 2_500)
    rows, _ = journal.next_rows(db, send, status="queued", after=0, limit=2_500)
    deliver(db, send, rows, "failed")
    for row in rows[::2]:
        suppression.suppress(db, row.address, reason="bounced")
    assert journal.suppressed_failures(db, send) == 1_250


@pytest.mark.postgresql_only
def test_rows_another_sender_holds_are_passed_over_not_waited_for(db: Connection) -> None:
    send = frozen(db, 10)
    with connect_url(os.environ["NEWSLETTER_STATE_URL"]) as other, other.transaction():
        other.execute(
            "SELECT seq FROM recipients WHERE send_id = ? AND seq <= 5 FOR UPDATE", (send.id,)
        )
        rows, last = journal.next_rows(db, send, status="queued", after=0, limit=10)
    assert [row.seq for row in rows] == [6, 7, 8, 9, 10] and last == 10
    assert statuses(db) == ["queued"] * 10  # sending only once handed to a connection
