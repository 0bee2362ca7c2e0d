import asyncio
import base64
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dkimcheck import opendkim_verify
from render_fixtures import make_config, make_issue
from smtpserver import SmtpServer

from newsletter.audience.tokens import TokenSigner
from newsletter.config import DkimSettings
from newsletter.delivery.dkim import SIGNED_HEADERS, DkimSigner
from newsletter.delivery.headers import HEADER_LINE_LENGTH
from newsletter.delivery.message import MessageBuilder, OutgoingMessage, Recipient
from newsletter.delivery.transport import open_transport
from newsletter.errors import ConfigError
from newsletter.render.issue import render_issue

SIGNER = TokenSigner(b"a test secret of enough length")
ANNA = Recipient("anna@example.org", "Anna Åberg", {"kommun": "Linköping"})


# A throwaway 512-bit key (`openssl genrsa 512`): cryptography makes none under 1024.
WEAK_KEY = """-----BEGIN PRIVATE KEY-----
MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA2S5vxGlsYpIDUlD3
VV+G+xOaU6oYNHay1omuz8Eg4WJYS8NNGz7TvGwhNRuzXSaPlG72iKZe8MiOpptq
UYGjFQIDAQABAkEAofZZb5ZXN+NACuFKsiY9WXyy+HW++1ER6aBf95tFVA5NOvzU
82n6zYBd3Dr0XwHYJe6+pYnAAbCY9809xrrqeQIhAPgGeOulgLTZ4df42MWrtO2G
TcCvyJT/210ZT9c0wB9TAiEA4CoVkmmgq/TTM6mQGfbt9IXVVzjQLtkckpv13Oej
rvcCIQCI3tmAARcjtlFBY9wMSZNQuJrTyK3CO+eMWtmKg1u6bQIgVTIpeLgEhNZL
3vq29edPkPu8laXWGbgSj/YOf6LaJwkCIEH+dT9hHVd83UN96EC9NWEABh5Ynam6
XTBTno0Che2d
-----END PRIVATE KEY-----
"""


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


def make_ed25519_key(tmp_path: Path) -> str:
    """A fresh Ed25519 key in TMP_PATH/dkim-ed25519.key; returns its DNS TXT record."""
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "dkim-ed25519.key").write_bytes(pem)
    # RFC 8463 4.2: the 32 bytes of the public key, base64, with k=ed25519.
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return f"v=DKIM1; k=ed25519; p={base64.b64encode(public).decode()}"


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
    assert tags["a"] == "rsa-sha256" and tags["c"] == "relaxed/simple"
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
    with pytest.raises(ConfigError, match=r"not a private key in PEM format.*openssl genrsa"):
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
                    result = await transport.send(builder.build(person))
                    assert result.outcome == "sent"

        asyncio.run(deliver())
    lookup = dns({"nyhetsbrev2026._domainkey.nyhetsbrev.example.org.": record})
    assert len(server.messages) == 3
    assert all(dkim.verify(got.data, dnsfunc=lookup) for got in server.messages)
    received = [got.data for got in server.messages]
    records = {"nyhetsbrev2026._domainkey.nyhetsbrev.example.org.": record}
    assert opendkim_verify(received, records) == [(0, "")] * 3


def unsigned_message(tmp_path: Path) -> bytes:
    config = make_config(tmp_path)
    rendered = render_issue(make_issue(intro="Hej {{ name }}!"), config)
    return MessageBuilder(rendered, config, signer=SIGNER).build(ANNA).data


def test_the_signature_is_dkimpys_own_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dkimpy canonicalizes and writes the field; OpenSSL's RSA gives the same bytes as
    dkimpy's pure-Python RSA (RSASSA-PKCS1-v1_5 is deterministic)."""
    make_key(tmp_path)
    data = unsigned_message(tmp_path)
    monkeypatch.setattr(time, "time", lambda: 1_780_000_000.0)
    settings = DkimSettings(selector="nyhetsbrev2026", key_file="dkim.key")
    signer = DkimSigner(settings, default_domain="nyhetsbrev.example.org", root=tmp_path)
    ours = signer.sign(data)
    theirs = dkim.sign(
        data,
        b"nyhetsbrev2026",
        b"nyhetsbrev.example.org",
        (tmp_path / "dkim.key").read_bytes(),
        canonicalize=(b"relaxed", b"simple"),
        include_headers=[name.lower().encode() for name in SIGNED_HEADERS],
    )
    assert ours == theirs + data


def ed25519_settings(tmp_path: Path) -> tuple[DkimSigner, Callable[[bytes, int], bytes | None]]:
    records = {
        "nyhetsbrev2026._domainkey.nyhetsbrev.example.org.": make_key(tmp_path),
        "ed2026._domainkey.nyhetsbrev.example.org.": make_ed25519_key(tmp_path),
    }
    settings = DkimSettings(
        selector="nyhetsbrev2026",
        key_file="dkim.key",
        ed25519_selector="ed2026",
        ed25519_key_file="dkim-ed25519.key",
    )
    signer = DkimSigner(settings, default_domain="nyhetsbrev.example.org", root=tmp_path)
    return signer, dns(records)


def without_signature(data: bytes, number: int) -> bytes:
    """DATA with its NUMBERth DKIM-Signature field taken out."""
    fields = re.findall(rb"DKIM-Signature: .*?\r\n(?! )", data, re.S)
    return data.replace(fields[number], b"", 1)


def test_an_ed25519_signature_goes_beside_the_rsa_one_and_each_verifies(
    tmp_path: Path,
) -> None:
    signer, lookup = ed25519_settings(tmp_path)
    data = signer.sign(unsigned_message(tmp_path))
    tags = [signature_tags(data), signature_tags(without_signature(data, 0))]
    assert [t["a"] for t in tags] == ["ed25519-sha256", "rsa-sha256"]
    assert [t["s"] for t in tags] == ["ed2026", "nyhetsbrev2026"]
    checked = dkim.DKIM(data)
    assert checked.verify(idx=0, dnsfunc=lookup) and checked.verify(idx=1, dnsfunc=lookup)
    forged = data.replace(b"Subject: ", b"Subject: Re: ")
    assert not dkim.DKIM(forged).verify(idx=0, dnsfunc=lookup)
    assert not dkim.DKIM(forged).verify(idx=1, dnsfunc=lookup)


def test_opendkim_verifies_each_signature_and_refuses_a_changed_message(tmp_path: Path) -> None:
    signer, _ = ed25519_settings(tmp_path)
    data = signer.sign(unsigned_message(tmp_path))
    rsa_only, ed25519_only = without_signature(data, 0), without_signature(data, 1)
    changed = [m.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", b"")
               for m in (rsa_only, ed25519_only)]  # fmt: skip
    results = opendkim_verify([data, rsa_only, ed25519_only, *changed], published_keys(tmp_path))
    assert [status for status, _ in results] == [0, 0, 0, 70, 70], results
    assert all("Bad signature" in said for _, said in results[3:])


def published_keys(tmp_path: Path) -> dict[str, str]:
    """The DNS records of the keys in TMP_PATH (dkim.key, dkim-ed25519.key)."""
    rsa_key = serialization.load_pem_private_key((tmp_path / "dkim.key").read_bytes(), None)
    ed_key = serialization.load_pem_private_key((tmp_path / "dkim-ed25519.key").read_bytes(), None)
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert isinstance(ed_key, ed25519.Ed25519PrivateKey)
    rsa_public = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ed_public = ed_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {
        "nyhetsbrev2026._domainkey.nyhetsbrev.example.org.":
            f"v=DKIM1; k=rsa; p={base64.b64encode(rsa_public).decode()}",
        "ed2026._domainkey.nyhetsbrev.example.org.":
            f"v=DKIM1; k=ed25519; p={base64.b64encode(ed_public).decode()}",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ed25519_selector": "ed2026"}, "needs both ed25519_selector and ed25519_key_file"),
        ({"ed25519_selector": "ed2026", "ed25519_key_file": "dkim-ed25519.key",
          "selector": "", "key_file": ""}, "goes beside an RSA one"),
    ],
)  # fmt: skip
def test_an_incomplete_ed25519_setting_says_what_is_missing(
    settings: dict[str, str], message: str
) -> None:
    values = {"selector": "nyhetsbrev2026", "key_file": "dkim.key", **settings}
    with pytest.raises(ValueError, match=message):
        DkimSettings(**values)


def test_keys_of_the_wrong_kind_or_too_short_are_refused(tmp_path: Path) -> None:
    make_ed25519_key(tmp_path)
    (tmp_path / "dkim-ed25519.key").rename(tmp_path / "dkim.key")
    make_ed25519_key(tmp_path)
    with pytest.raises(ConfigError, match=r"dkim.key_file .*: is not an RSA private key"):
        DkimSigner(DkimSettings(selector="s", key_file="dkim.key"), default_domain="x.org",
                   root=tmp_path)  # fmt: skip
    (tmp_path / "dkim.key").write_text(WEAK_KEY)
    with pytest.raises(ConfigError, match=r"the key has 512 bits; .* at least 1024"):
        DkimSigner(DkimSettings(selector="s", key_file="dkim.key"), default_domain="x.org",
                   root=tmp_path)  # fmt: skip
    make_key(tmp_path)
    settings = DkimSettings(selector="s", key_file="dkim.key", ed25519_selector="e",
                            ed25519_key_file="dkim.key")  # fmt: skip
    with pytest.raises(ConfigError, match=r"dkim.ed25519_key_file .*: is not an Ed25519"):
        DkimSigner(settings, default_domain="x.org", root=tmp_path)
