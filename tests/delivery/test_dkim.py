import asyncio
import base64
import os
import re
from collections.abc import Callable
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from render_fixtures import make_config, make_issue
from smtpserver import SmtpServer

from newsletter.audience.tokens import TokenSigner
from newsletter.delivery.headers import HEADER_LINE_LENGTH
from newsletter.delivery.message import MessageBuilder, OutgoingMessage, Recipient
from newsletter.delivery.transport import open_transport
from newsletter.errors import ConfigError
from newsletter.render.issue import render_issue

SIGNER = TokenSigner(b"a test secret of enough length")
ANNA = Recipient("anna@example.org", "Anna Åberg", {"kommun": "Linköping"})


def make_key(tmp_path: Path) -> str:
    """A fresh RSA key in TMP_PATH/dkim.key; returns the DNS TXT record that publishes it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "dkim.key").write_bytes(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"


def signed_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str = ""
) -> OutgoingMessage:
    monkeypatch.setenv("NEWSLETTER_DKIM_SELECTOR", "nyhetsbrev2026")
    monkeypatch.setenv("NEWSLETTER_DKIM_KEY_FILE", "dkim.key")  # relative to newsletter.toml
    config = make_config(tmp_path, extra)
    rendered = render_issue(make_issue(intro="Hej {{ name }}!"), config)
    return MessageBuilder(rendered, config, signer=SIGNER).build(ANNA)


def dns(records: dict[str, str]) -> Callable[[bytes, int], bytes | None]:
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        record = records.get(name.decode())
        return record.encode() if record else None

    return lookup


def published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str = ""
) -> tuple[OutgoingMessage, Callable[[bytes, int], bytes | None]]:
    """A signed message, and a DNS lookup that finds the public key at the domain."""
    record = make_key(tmp_path)
    message = signed_message(tmp_path, monkeypatch, extra)
    domain = os.environ.get("NEWSLETTER_DKIM_DOMAIN", "nyhetsbrev.example.org")
    return message, dns({f"nyhetsbrev2026._domainkey.{domain}.": record})


def signature_tags(data: bytes) -> dict[str, str]:
    header = re.match(rb"DKIM-Signature: (.*?)\r\n(?! )", data, re.S)
    assert header, data[:200]
    value = re.sub(r"\s+", "", header.group(1).decode())
    return dict(tag.split("=", 1) for tag in value.split(";") if tag)


def test_the_signature_verifies_with_the_published_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message, lookup = published(tmp_path, monkeypatch)
    assert dkim.verify(message.data, dnsfunc=lookup)
    tags = signature_tags(message.data)
    assert tags["a"] == "rsa-sha256" and tags["c"] == "relaxed/relaxed"
    assert tags["d"] == "nyhetsbrev.example.org" and tags["s"] == "nyhetsbrev2026"
    signed = set(tags["h"].lower().split(":"))
    assert signed >= {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
    }
    assert "feedback-id" not in signed
    for line in message.data.split(b"\r\n\r\n")[0].split(b"\r\n"):
        if not line.startswith((b"List-Unsubscribe: <", b" <")):
            assert len(line) <= HEADER_LINE_LENGTH, line


def test_a_changed_message_no_longer_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message, lookup = published(tmp_path, monkeypatch)
    forged = message.data.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"")
    assert not dkim.verify(forged, dnsfunc=lookup)
    (tmp_path / "other").mkdir()
    other_key = make_key(tmp_path / "other")
    assert not dkim.verify(
        message.data, dnsfunc=dns({"nyhetsbrev2026._domainkey.nyhetsbrev.example.org.": other_key})
    )


def test_feedback_id_is_signed_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_DKIM_DOMAIN", "example.org")
    message, lookup = published(tmp_path, monkeypatch, 'feedback_id = "3:test:nyhetsbrev"')
    assert dkim.verify(message.data, dnsfunc=lookup)
    tags = signature_tags(message.data)
    assert tags["d"] == "example.org" and "feedback-id" in tags["h"].lower().split(":")


def test_a_missing_key_file_says_what_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match=r"dkim.key_file .*dkim.key: cannot read"):
        signed_message(tmp_path, monkeypatch)


def test_a_key_file_that_is_no_key_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dkim.key").write_text("ssh-rsa AAAA... not a private key\n")
    with pytest.raises(ConfigError, match=r"not an RSA private key.*openssl genrsa"):
        signed_message(tmp_path, monkeypatch)


def test_signed_messages_verify_as_the_server_received_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = make_key(tmp_path)
    monkeypatch.setenv("NEWSLETTER_DKIM_SELECTOR", "nyhetsbrev2026")
    monkeypatch.setenv("NEWSLETTER_DKIM_KEY_FILE", "dkim.key")
    with SmtpServer() as server:
        for key, value in server.environment().items():
            monkeypatch.setenv(key, value)
        config = make_config(tmp_path)
        builder = MessageBuilder(
            render_issue(make_issue(intro="Hej {{ name }}!"), config), config, signer=SIGNER
        )
        people = [Recipient(f"reader{n}@example.org", f"Läsare {n}") for n in range(3)]

        async def deliver() -> None:
            async with open_transport(config, outbox=tmp_path / "outbox") as transport:
                for person in people:
                    assert (await transport.send(builder.build(person))).outcome == "sent"

        asyncio.run(deliver())
    lookup = dns({"nyhetsbrev2026._domainkey.nyhetsbrev.example.org.": record})
    assert len(server.messages) == 3
    assert all(dkim.verify(got.data, dnsfunc=lookup) for got in server.messages)
