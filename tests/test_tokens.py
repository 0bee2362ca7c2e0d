import pytest

from newsletter.tokens import TokenSigner

SECRET = b"0123456789abcdef0123456789abcdef"


def test_token_round_trips_and_hides_the_address() -> None:
    signer = TokenSigner(SECRET)
    token = signer.make("anna@example.org", "medborgardialog")
    assert "anna" not in token and "example" not in token
    assert signer.matches(token, "anna@example.org", "medborgardialog")


@pytest.mark.parametrize("position", range(0, 60, 7))
def test_any_changed_character_fails(position: int) -> None:
    signer = TokenSigner(SECRET)
    token = signer.make("anna@example.org", "medborgardialog")
    changed = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
    assert not signer.matches(changed, "anna@example.org", "medborgardialog")


def test_token_of_another_newsletter_or_secret_is_rejected() -> None:
    token = TokenSigner(SECRET).make("anna@example.org", "medborgardialog")
    assert not TokenSigner(SECRET).matches(token, "anna@example.org", "regional-utveckling")
    assert not TokenSigner(SECRET[::-1]).matches(token, "anna@example.org", "medborgardialog")


def test_every_single_character_change_fails() -> None:
    signer = TokenSigner(SECRET)
    token = signer.make("anna@example.org", "medborgardialog")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    for position, original in enumerate(token):
        for replacement in alphabet:
            if replacement != original:
                changed = token[:position] + replacement + token[position + 1 :]
                assert not signer.matches(changed, "anna@example.org", "medborgardialog")
