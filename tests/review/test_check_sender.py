"""SPF, DKIM and DMARC of the From domain, from a DNS server on loopback."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from checkproject import make_project, run
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnsserver import dns_server
from projects import ISSUE

RELAY = "198.51.100.7"


def new_key() -> tuple[bytes, str]:
    """A private key in PEM, and its public key as a DKIM record's p= value."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, base64.b64encode(der).decode("ascii")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example, sent from kommun.se through smtp.kommun.se, DKIM-signed with sel."""
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "newsletter.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "medborgardialog@nyhetsbrev.example.org", "medborgardialog@kommun.se"
        ),
        encoding="utf-8",
    )
    pem, _ = new_key()
    (tmp_path / "dkim.key").write_bytes(pem)
    monkeypatch.setenv("NEWSLETTER_SMTP_HOST", "smtp.kommun.se")
    monkeypatch.setenv("NEWSLETTER_DKIM_SELECTOR", "sel")
    monkeypatch.setenv("NEWSLETTER_DKIM_KEY_FILE", "dkim.key")
    return tmp_path


def zone(*, spf: str | None, dkim: str | None, dmarc: str | None, relay: str = RELAY) -> str:
    lines = [f"smtp.kommun.se. 60 IN A {relay}", "www.skr.se. 60 IN A 127.0.0.1"]
    lines += [f'kommun.se. 60 IN TXT "{spf}"'] if spf else ["kommun.se. 60 IN MX 10 mx.kommun.se."]
    lines += [f'sel._domainkey.kommun.se. 60 IN TXT "v=DKIM1; k=rsa; " "p={dkim}"'] if dkim else []
    lines += [f'_dmarc.kommun.se. 60 IN TXT "{dmarc}"'] if dmarc else []
    return "\n".join(lines)


def check(project: Path, monkeypatch: pytest.MonkeyPatch, records: str) -> list[str]:
    """The codes of the sender's findings (and of any error)."""
    with dns_server(records) as (nameserver, _):
        monkeypatch.setenv("NEWSLETTER_CHECK_NAMESERVERS", nameserver)
        report = run(project / ISSUE)
    codes = {"spf", "dkim", "dmarc", "dns", "web", "no-network"}
    sender = [f for f in report.findings if f.code.split("-")[0] in codes]
    return sorted(f"{f.severity}:{f.code}" for f in sender if not f.code.startswith("web"))


def public_key(project: Path) -> str:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key((project / "dkim.key").read_bytes(), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def test_everything_published_and_matching_finds_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = zone(
        spf=f"v=spf1 ip4:{RELAY} -all",
        dkim=public_key(project),
        dmarc="v=DMARC1; p=reject; adkim=s",
    )
    assert check(project, monkeypatch, records) == []


def test_what_is_missing_is_a_warning_naming_the_record(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = check(project, monkeypatch, zone(spf=None, dkim=None, dmarc=None))
    assert codes == ["warning:dkim-missing", "warning:dmarc-missing", "warning:spf-missing"]
    with dns_server(zone(spf=None, dkim=None, dmarc=None)) as (nameserver, _):
        monkeypatch.setenv("NEWSLETTER_CHECK_NAMESERVERS", nameserver)
        report = run(project / ISSUE)
    messages = " ".join(f.message for f in report.findings)
    assert 'Publish a TXT record at kommun.se: "v=spf1 a:smtp.kommun.se ~all"' in messages
    assert 'Publish a TXT record at _dmarc.kommun.se: "v=DMARC1; p=none;' in messages
    assert "no DKIM key is published at sel._domainkey.kommun.se" in messages


def test_spf_that_leaves_out_the_relay_and_a_dkim_key_that_is_not_ours(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, other = new_key()
    records = zone(spf="v=spf1 ip4:192.0.2.1 -all", dkim=other, dmarc="v=DMARC1; p=none")
    codes = check(project, monkeypatch, records)
    assert codes == ["error:dkim-mismatch", "warning:spf-relay"]


def test_from_aligned_with_neither_dkim_nor_spf(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_DKIM_DOMAIN", "utskick.se")
    monkeypatch.setenv("NEWSLETTER_BOUNCES_RETURN_PATH", "studs@utskick.se")
    records = zone(spf=f"v=spf1 ip4:{RELAY} -all", dkim=None, dmarc="v=DMARC1; p=quarantine")
    records += f'\nutskick.se. 60 IN TXT "v=spf1 ip4:{RELAY} -all"'
    records += (
        f'\nsel._domainkey.utskick.se. 60 IN TXT "v=DKIM1; k=rsa; " "p={public_key(project)}"'
    )
    assert check(project, monkeypatch, records) == ["warning:dmarc-alignment"]
