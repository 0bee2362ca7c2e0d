"""Return-path tokens: they name one journal row, and nothing forged passes for one."""

import pytest

from newsletter.audience.returnpath import RefSigner, Row, token_in, verp_address

SECRET = b"0123456789abcdef0123456789abcdef"


def test_a_token_names_its_row_and_is_lower_case() -> None:
    token = RefSigner(SECRET).make(12, 3456)
    assert token.startswith("12-3456-") and token == token.lower()
    assert RefSigner(SECRET).verify(token) == Row(12, 3456)
    # Relays fold the case of addresses: an upper-cased token is the same token.
    assert RefSigner(SECRET).verify(token.upper()) == Row(12, 3456)


def test_every_changed_character_of_a_token_fails() -> None:
    signer = RefSigner(SECRET)
    token = signer.make(7, 42)
    for position, original in enumerate(token):
        for replacement in "0123456789abcdefghijklmnopqrstuvwxyz-":
            if replacement != original:
                forged = token[:position] + replacement + token[position + 1 :]
                assert signer.verify(forged) is None, forged


@pytest.mark.parametrize(
    "forged",
    ["", "7-42", "7-43-aaaaaaaaaaaaaaaa", "0-1-aaaaaaaaaaaaaaaa", "7-42-" + "a" * 17, "x" * 500],
)
def test_what_is_no_token_is_refused(forged: str) -> None:
    assert RefSigner(SECRET).verify(forged) is None


def test_another_secret_makes_other_tokens() -> None:
    token = RefSigner(SECRET).make(7, 42)
    assert RefSigner(SECRET[::-1]).verify(token) is None
    # The row of one token does not carry over to the next row.
    mac = token.rpartition("-")[2]
    assert RefSigner(SECRET).verify(f"7-43-{mac}") is None


def test_verp_address_and_back() -> None:
    token = RefSigner(SECRET).make(3, 9)
    address = verp_address("bounces@nyhetsbrev.example.org", token)
    assert address == f"bounces+{token}@nyhetsbrev.example.org"
    assert token_in(address, "bounces@nyhetsbrev.example.org") == token
    assert token_in(f"<{address.upper()}>", "bounces@nyhetsbrev.example.org") == token
    assert token_in(address, "retur@nyhetsbrev.example.org") == ""
    assert token_in(address, "bounces@example.org") == ""
    assert token_in("bounces@nyhetsbrev.example.org", "bounces@nyhetsbrev.example.org") == ""
