from pathlib import Path

import pytest
from web_fixtures import make_project

from newsletter.audience import suppression, unsubscribes
from newsletter.audience.subscribers import recipients
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config
from newsletter.errors import TokenError
from newsletter.state import Connection, connect

LIST = "email;name\nanna@example.org;Anna\nBertil.Ek@Example.org;Bertil\ncecilia@example.org;\n"


pytestmark = pytest.mark.usefixtures("state_engine")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_project(tmp_path, subscribers=LIST)


@pytest.fixture
def db(config: Config) -> Connection:
    return connect(config)


@pytest.fixture
def signer(config: Config) -> TokenSigner:
    return TokenSigner(load_secret(config))


def journal(db: Connection, signer: TokenSigner, address: str) -> None:
    db.execute(
        "INSERT INTO sends (id, newsletter, slug, subject, lists, fingerprint)"
        " VALUES (1, 'test', '2020-03', 'Nyheter', '[\"test\"]', 'f')"
        " ON CONFLICT DO NOTHING"
    )
    db.execute(
        "INSERT INTO recipients (send_id, seq, address, address_id, status)"
        " VALUES (1, (SELECT count(*) FROM recipients), ?, ?, 'sent')",
        (address, signer.address_id(address, "test")),
    )


def test_an_address_from_the_journal_is_unsubscribed_from_that_newsletter(
    config: Config, db: Connection, signer: TokenSigner
) -> None:
    journal(db, signer, "gone@example.org")  # no longer on any list
    token = signer.make("gone@example.org", "test")
    result = unsubscribes.unsubscribe(config, db, token, source="one-click")
    assert result == unsubscribes.Unsubscribed("test", "gone@example.org", True)
    assert suppression.is_suppressed(db, "gone@example.org", newsletter="test")
    assert not suppression.is_suppressed(db, "gone@example.org", newsletter="other")
    (entry,) = suppression.entries(db)
    assert (entry.reason, entry.source, entry.newsletter) == ("unsubscribed", "one-click", "test")


def test_an_address_only_on_a_list_is_found_there(
    config: Config, db: Connection, signer: TokenSigner
) -> None:
    token = signer.make("bertil.ek@example.org", "test")
    result = unsubscribes.unsubscribe(config, db, token, source="web page", signer=signer)
    assert result.address == "Bertil.Ek@example.org" and result.changed
    # The next send leaves the address out.
    left = recipients(config, db, [], newsletter="test")
    assert [s.email for s in left.subscribers] == ["anna@example.org", "cecilia@example.org"]
    assert left.suppressed == 1


def test_a_changed_list_is_read_again(config: Config, db: Connection, signer: TokenSigner) -> None:
    unsubscribes.unsubscribe(config, db, signer.make("anna@example.org", "test"), source="x")
    with (config.subscribers_dir / "test.csv").open("a", encoding="utf-8") as out:
        out.write("david@example.org;David\n")
    token = signer.make("david@example.org", "test")
    assert unsubscribes.unsubscribe(config, db, token, source="x").address == "david@example.org"


def test_unsubscribing_twice_changes_nothing_the_second_time(
    config: Config, db: Connection, signer: TokenSigner
) -> None:
    token = signer.make("anna@example.org", "test")
    assert unsubscribes.unsubscribe(config, db, token, source="one-click").changed
    assert not unsubscribes.unsubscribe(config, db, token, source="web page").changed
    (entry,) = suppression.entries(db)
    assert entry.source == "one-click"


@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "dGVzdC5hYmM.xyz", "../../etc/passwd", "dGVzdC5hYmM=.AAAA"],
)
def test_a_forged_token_is_refused(config: Config, db: Connection, token: str) -> None:
    with pytest.raises(TokenError):
        unsubscribes.unsubscribe(config, db, token, source="one-click")
    assert suppression.entries(db) == []


def test_a_tampered_token_is_refused(config: Config, db: Connection, signer: TokenSigner) -> None:
    token = signer.make("anna@example.org", "test")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(TokenError):
        unsubscribes.unsubscribe(config, db, tampered, source="one-click")
    other_secret = TokenSigner(b"another secret, also long enough").make("anna@example.org", "test")
    with pytest.raises(TokenError):
        unsubscribes.unsubscribe(config, db, other_secret, source="one-click")
    assert suppression.entries(db) == []


def test_a_genuine_token_of_nobody_known_is_refused(
    config: Config, db: Connection, signer: TokenSigner
) -> None:
    with pytest.raises(TokenError, match="no subscriber"):
        unsubscribes.unsubscribe(config, db, signer.make("who@example.org", "test"), source="x")
    # A newsletter that is no longer configured: nothing to unsubscribe from.
    with pytest.raises(TokenError, match="no subscriber"):
        unsubscribes.unsubscribe(config, db, signer.make("anna@example.org", "old"), source="x")
    # The id is per newsletter: an address's id for another newsletter finds nobody.
    journal(db, signer, "gone@example.org")
    other_id = signer.address_id("gone@example.org", "other")
    assert unsubscribes.find_address(config, db, signer, "test", other_id) is None
    assert suppression.entries(db) == []


def test_undo_resubscribes(config: Config, db: Connection, signer: TokenSigner) -> None:
    token = signer.make("anna@example.org", "test")
    unsubscribes.unsubscribe(config, db, token, source="one-click")
    assert unsubscribes.undo(config, db, token).changed
    assert not suppression.is_suppressed(db, "anna@example.org", newsletter="test")
    assert not unsubscribes.undo(config, db, token).changed


def test_undo_leaves_bounces_and_other_newsletters_alone(
    config: Config, db: Connection, signer: TokenSigner
) -> None:
    suppression.suppress(db, "anna@example.org", reason="bounced")
    suppression.suppress(db, "anna@example.org", reason="unsubscribed", newsletter="other")
    suppression.suppress(db, "cecilia@example.org", reason="manual", newsletter="test")
    assert not unsubscribes.undo(config, db, signer.make("anna@example.org", "test")).changed
    assert not unsubscribes.undo(config, db, signer.make("cecilia@example.org", "test")).changed
    assert len(suppression.entries(db)) == 3


def test_undo_of_a_forged_token_is_refused(config: Config, db: Connection) -> None:
    with pytest.raises(TokenError):
        unsubscribes.undo(config, db, "forged.token")


def test_lookup_tells_whether_the_token_has_unsubscribed(
    config: Config, db: Connection, signer: TokenSigner
) -> None:
    token = signer.make("anna@example.org", "test")
    assert unsubscribes.lookup(config, db, token) == unsubscribes.Subscription(
        "test", "anna@example.org", False
    )
    suppression.suppress(db, "anna@example.org", reason="bounced")
    assert not unsubscribes.lookup(config, db, token).unsubscribed
    unsubscribes.unsubscribe(config, db, token, source="one-click")
    assert unsubscribes.lookup(config, db, token).unsubscribed
    with pytest.raises(TokenError):
        unsubscribes.lookup(config, db, token + "x")
