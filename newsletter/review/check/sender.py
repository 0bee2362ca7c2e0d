"""Sender authentication in DNS: SPF, DKIM and DMARC of the From domain.

SPF of the envelope sender's domain must cover the relay (evaluated by pyspf, RFC 7208,
through the check's resolver); the DKIM key published at `selector._domainkey.domain`
must be the key file's (RFC 6376: a test message signed with the file verifies against
the record); a DMARC record (RFC 7489) must exist, and From must align with DKIM's `d=`
or with the envelope sender, by organisational domain (the public-suffix list). What is
missing is a warning naming the record to publish; a DKIM key that does not match is an
error.
"""

from __future__ import annotations

__all__ = ["SenderCheck"]

import asyncio

from newsletter.config import Config, NewsletterConfig
from newsletter.review.check import spf
from newsletter.review.check.dkimkey import DkimKey
from newsletter.review.check.domains import is_example, is_local, organisational_domain
from newsletter.review.check.findings import Finding, Place
from newsletter.review.check.network import DnsAnswer, Network
from newsletter.review.check.targets import config_place
from newsletter.translate import _


class SenderCheck:
    """Looks up the sender's records once; findings() judges them."""

    def __init__(self, config: Config, newsletter: NewsletterConfig, network: Network) -> None:
        self.config, self.network = config, network
        self.from_domain = newsletter.sender_domain.lower()
        envelope = config.bounces.return_path or newsletter.from_address
        self.envelope_domain = envelope.rpartition("@")[2].lower()
        self.envelope = envelope
        self.reply_to = newsletter.reply_to
        self.from_place = config_place(config, f"newsletters.{newsletter.key}.from_address")
        self.dkim = (
            DkimKey.from_settings(config).for_domain(self.from_domain)
            if config.dkim.enabled
            else None
        )
        self.skipped = is_example(self.from_domain)
        self.records: dict[str, DnsAnswer] = {}
        self.spf: spf.Verdict | None = None

    async def run(self) -> None:
        if self.skipped:
            return
        names = {
            "spf": self.envelope_domain,
            "dmarc": f"_dmarc.{self.from_domain}",
            "dmarc-org": f"_dmarc.{organisational_domain(self.from_domain)}",
        }
        if self.dkim is not None and self.dkim.record_name:
            names["dkim"] = self.dkim.record_name
        answers = await asyncio.gather(*(self.network.lookup(n, "TXT") for n in names.values()))
        self.records = dict(zip(names, answers, strict=True))
        relay = self.config.smtp.host
        if relay and not is_local(relay) and _spf_records(self.records["spf"]):
            addresses = await self.network.addresses(relay)
            if addresses.outcome == "ok":
                self.spf = await asyncio.to_thread(
                    spf.evaluate,
                    self.network.sync_resolver(),
                    addresses.records,
                    sender=self.envelope,
                    relay=relay,
                )

    @property
    def unreached(self) -> bool:
        return bool(self.records) and all(a.outcome != "ok" for a in self.records.values())

    def findings(self, *, network_works: bool) -> list[Finding]:
        found = self._dkim_offline()
        if self.skipped or not self.records or not network_works:
            return found
        return found + self._spf() + self._dkim() + self._dmarc()

    def _dkim_offline(self) -> list[Finding]:
        if self.dkim is None:
            return [
                Finding(
                    "warning",
                    "dkim-off",
                    Place(_config_name(self.config), setting="dkim"),
                    _(
                        "messages are not DKIM-signed: Gmail, Yahoo and Microsoft require DKIM of"
                        " bulk senders. Set [dkim] selector and key_file (docs/send.md, DKIM)."
                    ),
                )
            ]
        if self.dkim.problem:
            return [
                Finding(
                    "error",
                    "dkim-key",
                    config_place(self.config, "dkim.key_file"),
                    self.dkim.problem,
                )
            ]
        return []

    def _spf(self) -> list[Finding]:
        answer = self.records["spf"]
        records = _spf_records(answer)
        domain = self.envelope_domain
        if answer.outcome == "failed":
            return [self._lookup_failed(domain, answer)]
        if not records:
            return [
                self._warn(
                    "spf-missing",
                    _(
                        "{domain} has no SPF record: receivers cannot tell that the relay may "
                        'send for it. Publish a TXT record at {domain}: "v=spf1 {hint} ~all".'
                    ).format(domain=domain, hint=self._spf_hint()),
                )
            ]
        if len(records) > 1:
            return [
                self._warn(
                    "spf-invalid",
                    _(
                        "{domain} has {n_records} SPF records, which makes SPF fail everywhere "
                        "(RFC 7208 4.5): merge them into one."
                    ).format(domain=domain, n_records=len(records)),
                )
            ]
        if self.spf is not None and self.spf.result != "pass":
            return [
                self._warn(
                    "spf-relay",
                    _(
                        'the SPF record of {domain} ("{records}") does not cover the relay {host}'
                        ' ({address}): {result}, {explanation}. Add "{hint}" to it, or the '
                        "include: your mail provider gives."
                    ).format(
                        domain=domain,
                        records=records[0],
                        host=self.config.smtp.host,
                        address=self.spf.address,
                        result=self.spf.result,
                        explanation=self.spf.explanation,
                        hint=self._spf_hint(),
                    ),
                )
            ]
        return []

    def _spf_hint(self) -> str:
        if self.spf is not None:
            return f"ip{6 if ':' in self.spf.address else 4}:{self.spf.address}"
        relay = self.config.smtp.host
        return f"a:{relay}" if relay and not is_local(relay) else "include:<your mail provider>"

    def _dkim(self) -> list[Finding]:
        if self.dkim is None or self.dkim.problem or "dkim" not in self.records:
            return []
        answer = self.records["dkim"]
        record = next((r for r in answer.records if "p=" in r), None)
        if answer.outcome == "failed":
            return [self._lookup_failed(self.dkim.record_name, answer)]
        if record is None:
            return [
                self._warn(
                    "dkim-missing",
                    _(
                        "no DKIM key is published at {record_name}: the signatures cannot be "
                        'verified. Publish a TXT record there: "v=DKIM1; k=rsa; p=…" with the '
                        "public key of {name} (`openssl rsa -in {name} -pubout -outform DER | "
                        "base64 -w0`)."
                    ).format(record_name=self.dkim.record_name, name=self.dkim.path.name),
                )
            ]
        if not self.dkim.verifies_with(record):
            return [
                Finding(
                    "error",
                    "dkim-mismatch",
                    config_place(self.config, "dkim.key_file"),
                    _(
                        "the DKIM key published at {record_name} is not the public key of {path}:"
                        " every signature would fail. Publish the key file's public key, or use "
                        "the key file whose key is published."
                    ).format(record_name=self.dkim.record_name, path=self.dkim.path),
                    real_send_only=True,
                )
            ]
        return []

    def _dmarc(self) -> list[Finding]:
        answer = self.records["dmarc"]
        if answer.outcome == "failed":
            return [self._lookup_failed(f"_dmarc.{self.from_domain}", answer)]
        record = _dmarc_record(answer) or _dmarc_record(self.records["dmarc-org"])
        org = organisational_domain(self.from_domain)
        if record is None:
            return [
                self._warn(
                    "dmarc-missing",
                    _(
                        "{from_domain} has no DMARC record: Gmail and Yahoo require one of bulk "
                        'senders. Publish a TXT record at _dmarc.{org}: "v=DMARC1; p=none; '
                        'rua=mailto:{reply_to}".'
                    ).format(from_domain=self.from_domain, org=org, reply_to=self.reply_to),
                )
            ]
        return self._alignment(record)

    def _alignment(self, record: str) -> list[Finding]:
        tags = _tags(record)
        dkim_domain = self.dkim.domain if self.dkim is not None else None
        dkim_ok = dkim_domain is not None and _aligned(
            dkim_domain, self.from_domain, strict=tags.get("adkim") == "s"
        )
        spf_ok = _aligned(self.envelope_domain, self.from_domain, strict=tags.get("aspf") == "s")
        if dkim_ok or spf_ok:
            return []
        signed = _("messages are not DKIM-signed")
        if dkim_domain:
            signed = _("DKIM signs for {domain}").format(domain=dkim_domain)
        return [
            self._warn(
                "dmarc-alignment",
                _(
                    "From ({from_domain}) aligns with neither DKIM nor SPF: {signed}, and the "
                    "envelope sender is at {envelope_domain}. DMARC fails, and receivers apply "
                    "{get!r}. Set [dkim] domain to {from_domain}, or send from an address at "
                    "{envelope_domain}."
                ).format(
                    from_domain=self.from_domain,
                    signed=signed,
                    envelope_domain=self.envelope_domain,
                    get=tags.get("p", "none"),
                ),
            )
        ]

    def _lookup_failed(self, name: str, answer: DnsAnswer) -> Finding:
        return self._warn(
            "dns-failed",
            _("the DNS lookup of {name} failed ({detail}): not checked. Try again later.").format(
                name=name, detail=answer.detail
            ),
        )

    def _warn(self, code: str, message: str) -> Finding:
        return Finding("warning", code, self.from_place, message)


def _spf_records(answer: DnsAnswer) -> list[str]:
    return [r for r in answer.records if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]


def _dmarc_record(answer: DnsAnswer) -> str | None:
    return next(
        (r for r in answer.records if r.replace(" ", "").upper().startswith("V=DMARC1")), None
    )


def _tags(record: str) -> dict[str, str]:
    tags = {}
    for part in record.split(";"):
        name, _eq, value = part.partition("=")
        tags[name.strip().lower()] = value.strip().lower()
    return tags


def _aligned(domain: str, from_domain: str, *, strict: bool) -> bool:
    """RFC 7489 3.1: the same name (strict), or the same organisational domain (relaxed)."""
    if strict:
        return domain.lower() == from_domain.lower()
    return organisational_domain(domain) == organisational_domain(from_domain)


def _config_name(config: Config) -> str:
    return config.path.name if config.path is not None else "newsletter.toml"
