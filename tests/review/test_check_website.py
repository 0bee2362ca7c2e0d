"""base_url and the web side: `newsletter serve` in a subprocess, asked for /health and the
fingerprint of its key; the check compares it with the send's key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from checkproject import found, make_project, run
from dnsserver import dns_server
from projects import ISSUE

SECRET = "zq-the-key-of-the-sends-0123456789"
OTHER = "zq-another-key-entirely-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The example project; names resolve (www.skr.se), so the network counts as there."""
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    with dns_server("www.skr.se. 60 IN A 127.0.0.1") as (nameserver, _):
        monkeypatch.setenv("NEWSLETTER_CHECK_NAMESERVERS", nameserver)
        yield tmp_path


@pytest.fixture
def serve(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`newsletter serve` with the key SECRET; base_url set to it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env["NEWSLETTER_SECRET"] = SECRET
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "serve", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"newsletter serve did not start: {process.communicate()}")
        time.sleep(0.1)
    monkeypatch.setenv("NEWSLETTER_BASE_URL", url)
    yield url
    process.kill()
    process.communicate()


def test_the_same_key_on_both_sides_is_fine(serve: str, project: Path) -> None:
    report = run(project / ISSUE, real=True)
    assert not [f for f in report.findings if f.code.startswith("web")]
    # base_url on this computer, over http: a real send refuses it.
    base_url = [f for f in report.errors if f.code.startswith("base-url")]
    assert {f.code for f in base_url} == {"base-url-insecure", "base-url-local"}
    assert all(str(f.place) == "environment: NEWSLETTER_BASE_URL" for f in base_url)


def test_a_web_side_with_another_key_refuses_a_real_send(
    serve: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET", OTHER)
    report = run(project / ISSUE, real=True)
    (key,) = found(report, "web-key")
    assert key.severity == "error"
    assert "every unsubscribe would fail" in key.message
    # The fingerprints, never the keys.
    assert SECRET not in key.message and OTHER not in key.message
    rehearsal = run(project / ISSUE, real=False)
    assert [f.severity for f in found(rehearsal, "web-key")] == ["warning"]


def test_a_web_side_that_cannot_be_reached_is_a_warning(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_BASE_URL", f"http://127.0.0.1:{free_port()}")
    report = run(project / ISSUE, real=True)
    (unreachable,) = found(report, "web-unreachable")
    assert unreachable.severity == "warning" and "behind a VPN" in unreachable.message


def test_a_public_base_url_is_fine_offline(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_BASE_URL", "https://nyhetsbrev.kommun.se")
    report = run(project / ISSUE, real=True, offline=True)
    assert not [f for f in report.findings if f.code.startswith(("base-url", "web"))]
