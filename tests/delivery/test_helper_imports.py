"""A large send's helper process imports no more than it uses.

It unpickles the message builder, reads rows and builds and signs their messages. The
configuration's and the issue model's libraries (pydantic, Babel, markdown-it, Jinja,
MJML, ...) took 22 MB more of its memory than the work itself, and dnspython, which
dkimpy imports for verifying, 5 MB more; neither the builder it
gets nor the modules it imports may bring them along. The helper runs here as the send
starts it (`python -m newsletter.delivery.helpermain`), spoken to in its own frames.
"""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from render_fixtures import make_config, make_issue

from newsletter.audience import suppression
from newsletter.audience.returnpath import RefSigner
from newsletter.audience.subscribers import Subscriber
from newsletter.audience.tokens import TokenSigner
from newsletter.delivery import journal
from newsletter.delivery.helpermain import frame, read_frames
from newsletter.delivery.message import MessageBuilder, OutgoingMessage
from newsletter.render.issue import render_issue
from newsletter.state import connect, target

SIGNER = TokenSigner(b"a test secret of enough length")
# What the sending process needs and the helper must not load.
HEAVY = {"pydantic", "pydantic_core", "pydantic_settings", "babel", "markdown_it", "jinja2",
         "mjml", "premailer", "lxml", "yaml", "email_validator", "httpx", "click", "rich",
         "starlette", "asyncio", "aiosmtplib", "dns", "newsletter.config",
         "newsletter.content"}  # fmt: skip
# Loads the helper as the send does, and writes the modules it had at its end to a file.
RUN_HELPER = """
import atexit, runpy, sys
atexit.register(lambda: open(sys.argv[1], "w").write("\\n".join(
    sorted(name for name, module in sys.modules.items() if module is not None))))
runpy.run_module("newsletter.delivery.helpermain", run_name="__main__", alter_sys=True)
"""


def private_key(path: Path, key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    """KEY written to PATH; returns its public key as DER (RSA) or raw bytes (Ed25519)."""
    pem = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    path.write_bytes(key.private_bytes(*pem, serialization.NoEncryption()))
    public = key.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    der = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return public.public_bytes(*der)


@pytest.fixture
def signing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[bytes, bytes]:
    """DKIM with an RSA and an Ed25519 key; the DNS records that publish them."""
    rsa_public = private_key(tmp_path / "dkim.key", rsa.generate_private_key(65537, 2048))
    ed_public = private_key(tmp_path / "dkim-ed.key", ed25519.Ed25519PrivateKey.generate())
    settings = {"SELECTOR": "rsa2026", "KEY_FILE": "dkim.key", "ED25519_SELECTOR": "ed2026",
                "ED25519_KEY_FILE": "dkim-ed.key"}  # fmt: skip
    for name, value in settings.items():
        monkeypatch.setenv(f"NEWSLETTER_DKIM_{name}", value)
    domain = b"._domainkey.nyhetsbrev.example.org."
    return {
        b"rsa2026" + domain: b"v=DKIM1; k=rsa; p=" + base64.b64encode(rsa_public),
        b"ed2026" + domain: b"v=DKIM1; k=ed25519; p=" + base64.b64encode(ed_public),
    }


def run_helper(tmp_path: Path, start: tuple[object, ...], *requests: tuple[object, ...]
               ) -> tuple[list[tuple[object, ...]], set[str]]:  # fmt: skip
    """The helper's answers to REQUESTS after START, and the modules it had loaded."""
    modules = tmp_path / "modules.txt"
    data = b"".join(frame(message) for message in (start, *requests, ("close",)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", RUN_HELPER, str(modules)], input=data,
                          capture_output=True, env=env, timeout=60, check=True)  # fmt: skip
    assert done.stderr == b""
    answers = read_frames(bytearray(done.stdout))
    return answers, set(modules.read_text().split())


def test_the_helper_builds_and_signs_without_the_settings_or_the_issues_libraries(
    tmp_path: Path, signing: dict[bytes, bytes]
) -> None:
    config = make_config(tmp_path)
    issue = make_issue(intro="Hej {{ name }}! Se [er sida]({{ website }}).")
    builder = MessageBuilder(render_issue(issue, config), config, signer=SIGNER)
    people = [Subscriber(f"p{n}@example.org", f"Person {n}",
                         {"website": f"https://kommun{n}.example.se/"}, f"l.csv:{n + 2}")
              for n in range(3)]  # fmt: skip
    db = connect(config)
    send = journal.freeze(db, newsletter="test", slug=issue.slug, subject="Nr 3", lists=["l"],
                          subscribers=people, fingerprint="f", signer=SIGNER)  # fmt: skip
    suppression.suppress(db, "p1@example.org", reason="unsubscribed", source="test")
    db.close()
    refs = RefSigner(b"a test secret of enough length")
    start = ("start", (target(config), None), send, builder, refs)
    answers, modules = run_helper(tmp_path, start, ("read", 1, "queued", 0, 10))

    built = [(answer[2], answer[3]) for answer in answers if answer[0] == "row"]
    assert [(row.address, type(message)) for row, message in built] == [  # type: ignore[attr-defined]
        ("p0@example.org", OutgoingMessage),  # p1 unsubscribed after the send was frozen
        ("p2@example.org", OutgoingMessage),
    ]
    assert answers[-1][0] == "built"
    for row, message in built:
        assert isinstance(message, OutgoingMessage) and isinstance(row, journal.Row)
        assert row.fields["website"].encode() in message.data
        assert message.data.count(b"DKIM-Signature:") == 2
        for index in range(2):
            assert dkim.DKIM(message.data).verify(
                idx=index, dnsfunc=lambda name, timeout=5: signing.get(name)
            )
    heavy = [name for name in modules if name in HEAVY or name.split(".")[0] in HEAVY
             or name.startswith("newsletter.content.")]  # fmt: skip
    assert sorted(heavy) == []
    assert "newsletter.delivery.journal" in modules and "dkim" in modules


def test_a_builder_needs_no_settings_once_made(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    builder = MessageBuilder(render_issue(make_issue(), config), config, signer=SIGNER)
    kept = json.dumps([type(value).__module__ for value in vars(builder).values()])
    assert "newsletter.config" not in kept and "pydantic" not in kept
