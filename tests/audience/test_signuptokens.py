"""Form tokens, confirmation links and client tags: signed, time-limited, never in clear."""

from __future__ import annotations

import pytest

from newsletter.audience.signuptokens import SignupSigner, client_network
from newsletter.errors import TokenError

SIGNER = SignupSigner(b"a test secret of enough length")
NOW = 1_800_000_000.0
WEEK = 7 * 86400.0


@pytest.mark.parametrize(
    ("age", "verdict"),
    [(0.0, "too_fast"), (1.9, "too_fast"), (2.0, "ok"), (3600.0, "ok"), (86400.0, "ok"),
     (86401.0, "too_old"), (-60.0, "too_fast")],
)  # fmt: skip
def test_a_form_must_be_two_seconds_to_a_day_old(age: float, verdict: str) -> None:
    token = SIGNER.form_token("medborgardialog", now=NOW - age)
    assert SIGNER.check_form(token, "medborgardialog", now=NOW) == verdict


def test_a_form_token_is_for_one_newsletter_and_one_key() -> None:
    token = SIGNER.form_token("medborgardialog", now=NOW - 10)
    assert SIGNER.check_form(token, "regional-utveckling", now=NOW) == "invalid"
    other = SignupSigner(b"another secret of enough length")
    assert other.check_form(token, "medborgardialog", now=NOW) == "invalid"
    stamp, _, mac = token.partition(".")
    # An attacker moving the time stamp (to look older) breaks the signature.
    moved = f"{int(stamp) - 100_000}.{mac}"
    assert SIGNER.check_form(moved, "medborgardialog", now=NOW) == "invalid"
    for bad in ("", None, "x.y", ".", "1" * 20 + ".abc", token + "x"):
        assert SIGNER.check_form(bad, "medborgardialog", now=NOW) in {"invalid", "missing"}


def test_a_confirmation_link_names_the_newsletter_and_address_id_until_it_expires() -> None:
    token = SIGNER.confirmation("medborgardialog", "QUJDREVGR0hJSktMTU5P", now=NOW)
    assert "medborgardialog" not in token  # base64, but the address is never in it
    found = SIGNER.verify_confirmation(token, now=NOW + WEEK, max_age=WEEK)
    assert found == ("medborgardialog", "QUJDREVGR0hJSktMTU5P")
    with pytest.raises(TokenError, match="expired"):
        SIGNER.verify_confirmation(token, now=NOW + WEEK + 1, max_age=WEEK)
    with pytest.raises(TokenError, match="expired"):
        SIGNER.verify_confirmation(token, now=NOW - 60, max_age=WEEK)  # from the future


def test_a_tampered_cut_or_foreign_link_is_refused() -> None:
    token = SIGNER.confirmation("medborgardialog", "abc", now=NOW)
    payload, _, mac = token.partition(".")
    other = SignupSigner(b"another secret of enough length").confirmation(
        "medborgardialog", "abc", now=NOW
    )
    unsubscribe_shaped = payload + "." + mac[:-1]
    for bad in (other, unsubscribe_shaped, payload, payload + ".", "!!!." + mac, token[:-3]):
        with pytest.raises(TokenError):
            SIGNER.verify_confirmation(bad, now=NOW, max_age=WEEK)
    # Base64's spare bits: another spelling of the same payload is not accepted.
    respelled = payload[:-1] + chr(ord(payload[-1]) ^ 1) + "." + mac
    with pytest.raises(TokenError):
        SIGNER.verify_confirmation(respelled, now=NOW, max_age=WEEK)


@pytest.mark.parametrize(
    ("host", "network"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
    ],
)
def test_a_client_is_an_ipv4_address_or_an_ipv6_slash_64(host: str, network: str) -> None:
    assert client_network(host) == network


def test_a_client_tag_is_keyed_and_keeps_no_address() -> None:
    tag = SIGNER.client_tag("192.0.2.7")
    assert "192" not in tag and len(tag) == 16
    assert tag == SIGNER.client_tag("192.0.2.7") != SIGNER.client_tag("192.0.2.8")
    # One household's IPv6 addresses are one client.
    assert SIGNER.client_tag("2001:db8::1") == SIGNER.client_tag("2001:db8::ffff")
    assert SignupSigner(b"another secret of enough length").client_tag("192.0.2.7") != tag


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(TokenError, match="too short"):
        SignupSigner(b"short")
