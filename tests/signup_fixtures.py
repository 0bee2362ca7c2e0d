"""What the sign-up tests share: settings, form data with a token of a chosen age, the
link in a confirmation mail, and `newsletter serve` as a process of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from smtpserver import free_port

from newsletter.audience.signuptokens import SignupSigner
from newsletter.audience.tokens import load_secret
from newsletter.config import Config

# The lines that switch sign-up on for the test newsletter (web_fixtures.make_project).
SIGNUP = 'signup = true\nprivacy_url = "https://example.org/integritet"'


def wait_for(condition: Callable[[], bool], *, what: str, timeout: float = 20.0) -> None:
    """Wait until CONDITION holds (a mail sent in the background, a server starting)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def form_token(config: Config, newsletter: str = "test", *, age: float = 10.0) -> str:
    """A genuine form token, as if the form had been served AGE seconds ago."""
    return SignupSigner(load_secret(config)).form_token(newsletter, now=time.time() - age)


def form(
    config: Config, email: str, *, newsletter: str = "test", age: float = 10.0, **fields: str
) -> dict[str, str]:
    """The fields a person sends with the form of NEWSLETTER, served AGE seconds ago."""
    data = {"email": email, "name": "", "website": "", "t": form_token(config, newsletter, age=age)}
    return {**data, **fields}


def confirmation_link(message: EmailMessage) -> str:
    """The /c/ link of a confirmation mail, from its text part (the same as in its HTML)."""
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(r"https?://\S+/c/\S+", text.get_content())
    assert found is not None, text.get_content()
    return found[0]


def local(url: str, server: str) -> str:
    """URL as the reverse proxy passes it on: the same path, at the server under test."""
    return server + urlsplit(url).path


@dataclass
class Served:
    url: str
    log: Path  # what the server printed and logged

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serving(folder: Path, env: Mapping[str, str]) -> Iterator[Served]:
    """`newsletter serve` in FOLDER as a process of its own, with ENV added; stopped after."""
    port = free_port()
    log = folder / f"serve-{port}.log"
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEWSLETTER_") or key.startswith("NEWSLETTER_STATE_")
    }
    command = [sys.executable, "-m", "newsletter", "serve", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    with log.open("wb") as errors:
        process = subprocess.Popen(
            command, cwd=folder, env={**clean, **env}, stdout=errors, stderr=subprocess.STDOUT
        )
    served = Served(f"http://127.0.0.1:{port}", log)
    try:
        wait_for(lambda: _healthy(served.url, process), what="newsletter serve to start")
        yield served
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "newsletter serve stopped"
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
