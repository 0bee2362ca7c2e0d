import base64
from pathlib import Path

import pytest

from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import load_config
from newsletter.errors import TokenError

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


@pytest.mark.parametrize(
    "token", ["", ".", "abc", "!!!.???", "bWVkYm9yZ2FyZGlhbG9n", "/w.AAAA", "a" * 500]
)
def test_garbage_is_rejected_with_a_token_error(token: str) -> None:
    with pytest.raises(TokenError):
        TokenSigner(SECRET).verify(token)


def test_a_payload_moved_to_another_newsletter_fails() -> None:
    signer = TokenSigner(SECRET)
    token = signer.make("anna@example.org", "medborgardialog")
    newsletter, address_id = signer.verify(token)
    assert newsletter == "medborgardialog"
    forged_payload = base64.urlsafe_b64encode(f"regional-utveckling.{address_id}".encode())
    forged = forged_payload.decode().rstrip("=") + "." + token.rpartition(".")[2]
    with pytest.raises(TokenError):
        signer.verify(forged)


def test_short_secret_is_refused() -> None:
    with pytest.raises(TokenError, match="too short"):
        TokenSigner(b"short")


def test_generated_secret_is_made_once_and_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET", raising=False)
    monkeypatch.delenv("NEWSLETTER_SECRET_FILE", raising=False)
    (tmp_path / "newsletter.toml").write_text("", encoding="utf-8")
    config = load_config(tmp_path / "newsletter.toml")
    first = load_secret(config)
    assert load_secret(config) == first and len(first) >= 32
    assert (config.state_dir / "secret.key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("NEWSLETTER_SECRET", "from-the-environment-0123456789")
    assert load_secret(config) == b"from-the-environment-0123456789"
