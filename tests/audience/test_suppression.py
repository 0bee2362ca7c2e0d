from newsletter.audience import suppression
from newsletter.state import Connection


def test_unsubscribe_applies_to_its_newsletter_only(db: Connection) -> None:
    suppression.suppress(db, "Anna@Example.org", reason="unsubscribed", newsletter="a")
    assert suppression.is_suppressed(db, "anna@example.org", newsletter="a")
    assert not suppression.is_suppressed(db, "anna@example.org", newsletter="b")


def test_bounce_applies_to_every_newsletter_and_is_recorded_once(db: Connection) -> None:
    assert suppression.suppress(db, "b@example.org", reason="bounced", source="dsn")
    assert not suppression.suppress(db, "b@example.org", reason="manual")
    assert suppression.is_suppressed(db, "b@example.org", newsletter="anything")
    [entry] = suppression.entries(db)
    assert (entry.reason, entry.source) == ("bounced", "dsn")


def test_forget_keeps_only_the_hash(db: Connection) -> None:
    suppression.suppress(db, "c@example.org", reason="unsubscribed", newsletter="a")
    suppression.forget(db, "c@example.org")
    assert all(entry.address is None for entry in suppression.entries(db))
    assert "c@example.org" not in str(
        [tuple(row) for row in db.execute("SELECT * FROM suppression")]
    )
    assert suppression.is_suppressed(db, "c@example.org", newsletter="b")


def test_unsuppress_and_search(db: Connection) -> None:
    suppression.suppress(db, "d_1@example.org", reason="manual")
    suppression.suppress(db, "dx1@example.org", reason="manual")
    assert [e.address for e in suppression.entries(db, search="d_1")] == ["d_1@example.org"]
    assert suppression.unsuppress(db, "d_1@example.org") == 1
    assert not suppression.is_suppressed(db, "d_1@example.org", newsletter="a")
