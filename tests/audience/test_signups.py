"""Sign-ups in the state database: pending until confirmed, then a list of the newsletter
that sends include; consent on record; limits; expiry; data-protection requests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from render_fixtures import make_config
from signup_fixtures import SIGNUP

from newsletter.audience import privacy, signups, suppression
from newsletter.audience.consent import consent_for
from newsletter.audience.subscribers import default_lists, recipients
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config
from newsletter.state import Connection

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
SIGNER = TokenSigner(b"a test secret of enough length")
ANNA = "anna@example.org"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "subscribers").mkdir()
    (tmp_path / "subscribers" / "test.csv").write_text(
        "email;name\nbertil@example.org;Bertil\n", encoding="utf-8"
    )
    return make_config(tmp_path, SIGNUP)


pytestmark = pytest.mark.usefixtures("state_engine")


def wanted(config: Config, address: str = ANNA, name: str = "Anna") -> signups.Request:
    consent = consent_for(config.newsletter("test"))
    return signups.Request("test", address, SIGNER.address_id(address, "test"), name, consent,
                           "web form", client="tag")  # fmt: skip


def ask(db: Connection, config: Config, address: str = ANNA, *, at: dt.datetime = NOW
        ) -> signups.Outcome:  # fmt: skip
    return signups.request(db, wanted(config, address), limit=3, now=at)


def confirm(db: Connection, address: str = ANNA) -> signups.Confirmation | None:
    return signups.confirm(db, "test", SIGNER.address_id(address, "test"), now=NOW)


def test_pending_until_confirmed_and_only_then_on_the_list(db: Connection, config: Config) -> None:
    assert ask(db, config) == "mail"
    assert signups.counts(db, "test") == (0, 1)
    assert signups.members(db, "test") == []
    assert default_lists(config, db, "test") == ["test"]
    assert [s.email for s in recipients(config, db, [], newsletter="test").subscribers] == [
        "bertil@example.org"
    ]
    done = confirm(db)
    assert done == signups.Confirmation(ANNA, "sv", already=False, blocked=False)
    assert signups.counts(db, "test") == (1, 0)
    assert default_lists(config, db, "test") == ["test", "signups"]
    found = recipients(config, db, [], newsletter="test")
    assert [(s.email, s.name) for s in found.subscribers] == [
        ("bertil@example.org", "Bertil"), (ANNA, "Anna")
    ]  # fmt: skip
    assert found.lists[1].list == "signups (confirmed sign-ups of test)"
    assert (found.lists[1].subscribers, found.lists[1].targeted) == (1, 1)


def test_an_address_on_a_list_and_signed_up_is_one_recipient(
    db: Connection, config: Config
) -> None:
    ask(db, config, "Bertil@Example.org")
    confirm(db, "Bertil@Example.org")
    found = recipients(config, db, [], newsletter="test")
    assert [s.email for s in found.subscribers] == ["bertil@example.org"]
    assert found.lists[1].overlap == 1


def test_a_subscribed_reader_gets_nothing_new_and_a_blocked_address_nothing(
    db: Connection, config: Config
) -> None:
    ask(db, config)
    confirm(db)
    assert ask(db, config) == "subscribed"
    suppression.suppress(db, "b@example.org", reason="bounced", source="x")
    suppression.suppress(db, "c@example.org", reason="manual", newsletter="test")
    suppression.suppress(db, "d@example.org", reason="complained")
    for address in ("b@example.org", "c@example.org", "d@example.org"):
        assert ask(db, config, address) == "blocked"
    assert signups.counts(db, "test") == (1, 0)
    # An unsubscribe from another newsletter is no business of this one.
    suppression.suppress(db, "e@example.org", reason="unsubscribed", newsletter="other")
    assert ask(db, config, "e@example.org") == "mail"


def test_a_reader_who_unsubscribed_signs_up_again_with_fresh_consent(
    db: Connection, config: Config
) -> None:
    ask(db, config)
    confirm(db)
    suppression.suppress(db, ANNA, reason="unsubscribed", newsletter="test", source="one-click")
    assert recipients(config, db, [], newsletter="test").suppressed == 1
    assert ask(db, config) == "mail"
    assert suppression.is_suppressed(db, ANNA, newsletter="test")
    assert confirm(db) == signups.Confirmation(ANNA, "sv", already=False, blocked=False)
    assert not suppression.is_suppressed(db, ANNA, newsletter="test")


def test_confirming_while_bounced_keeps_the_bounce_and_says_so(
    db: Connection, config: Config
) -> None:
    ask(db, config)
    suppression.suppress(db, ANNA, reason="bounced", source="confirmation mail refused")
    done = confirm(db)
    assert done is not None and done.blocked
    assert suppression.is_suppressed(db, ANNA, newsletter="test")


def test_at_most_the_limit_of_mails_per_address_and_day(db: Connection, config: Config) -> None:
    outcomes = [ask(db, config, at=NOW + dt.timedelta(minutes=n)) for n in range(6)]
    assert outcomes == ["mail"] * 3 + ["limited"] * 3
    # Counted per address, across newsletters' forms alike; a day later, one more.
    assert ask(db, config, at=NOW + dt.timedelta(hours=24, seconds=1)) == "mail"
    assert ask(db, config, "other@example.org") == "mail"


def test_a_confirmed_or_repeated_link_confirms_once(db: Connection, config: Config) -> None:
    ask(db, config)
    assert confirm(db) is not None
    again = confirm(db)
    assert again == signups.Confirmation(ANNA, "sv", already=True, blocked=False)
    assert signups.counts(db, "test") == (1, 0)
    assert confirm(db, "nobody@example.org") is None
    assert signups.lookup(db, "test", SIGNER.address_id(ANNA, "test")) == ("confirmed", "sv", ANNA)


def test_pending_sign_ups_are_deleted_when_their_link_expires(
    db: Connection, config: Config
) -> None:
    ask(db, config, at=NOW - dt.timedelta(days=8))
    ask(db, config, "recent@example.org", at=NOW - dt.timedelta(days=6))
    assert signups.purge(db, expiry_days=7, now=NOW) == 1
    assert signups.counts(db, "test") == (0, 1)
    assert confirm(db) is None  # the expired one is gone
    assert db.execute("SELECT count(*) FROM signup_mails").fetchone()[0] == 0


def test_the_consent_is_recorded_with_the_exact_statement(
    db: Connection, config: Config, tmp_path: Path
) -> None:
    ask(db, config)
    confirm(db)
    (record,) = signups.records(db, ANNA)
    consent = consent_for(config.newsletter("test"))
    assert record["consent_version"] == consent.version
    assert record["consent_text"] == consent.statement
    assert (record["signed_up_at"], record["confirmed_at"]) == (
        "2026-03-02T09:30:00Z", "2026-03-02T09:30:00Z"
    )  # fmt: skip
    # Another wording is another version; both stay readable.
    (tmp_path / "reworded").mkdir()
    reworded = make_config(
        tmp_path / "reworded", f'{SIGNUP}\nconsent_text = "Ja tack, skicka Testbrevet."'
    )
    other = consent_for(reworded.newsletter("test"))
    assert other.version != consent.version and other.text == "Ja tack, skicka Testbrevet."
    request = signups.Request("test", "b@example.org", "id-b", "", other, "web form")
    signups.request(db, request, limit=3, now=NOW)
    texts = dict(db.execute("SELECT version, text FROM consent_texts").fetchall())
    assert texts == {consent.version: consent.statement, other.version: other.statement}


def test_the_data_protection_report_and_erasure_cover_sign_ups(
    db: Connection, config: Config
) -> None:
    ask(db, config)
    confirm(db)
    signups.request(db, signups.Request("other", ANNA, "x", "", wanted(config).consent,
                                        "embedded form"), limit=3, now=NOW)  # fmt: skip
    report = privacy.address_report(config, db, ANNA)
    assert [(s["newsletter"], s["status"], s["source"]) for s in report["signups"]] == [
        ("other", "awaiting confirmation", "embedded form"), ("test", "confirmed", "web form")
    ]  # fmt: skip
    assert "Jag vill få Testbrevet via e-post" in report["signups"][1]["consent_text"]
    erased = privacy.forget(config, db, ANNA)
    assert erased.signups == 2
    assert signups.records(db, ANNA) == [] and signups.counts(db, "test") == (0, 0)
    assert db.execute("SELECT count(*) FROM signup_mails").fetchone()[0] == 0
    # Erased and suppressed by hash: a new sign-up of the address is blocked.
    assert ask(db, config) == "blocked"
