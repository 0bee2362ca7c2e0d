"""`newsletter serve` as an operator runs it: a subprocess on a loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_fixtures import make_project

from newsletter.audience import suppression
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config
from newsletter.state import connect

pytestmark = pytest.mark.usefixtures("state_engine")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_project(tmp_path)


def start(config: Config, port: int, host: str = "127.0.0.1") -> subprocess.Popen[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEWSLETTER_") or key.startswith("NEWSLETTER_STATE_")
    }
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "serve", "--host", host, "--port", str(port)],
        cwd=config.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def served(config: Config) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    process = start(config, port)
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
    yield process, url
    if process.poll() is None:
        process.kill()
        process.communicate()


def test_serve_unsubscribes_logs_plainly_and_stops_on_ctrl_c(
    config: Config, served: tuple[subprocess.Popen[str], str]
) -> None:
    process, url = served
    token = TokenSigner(load_secret(config)).make("anna@example.org", "test")
    response = httpx.post(f"{url}/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert f"Serving 1 newsletter(s) at http://127.0.0.1:{url.rpartition(':')[2]}/" in stdout
    assert stdout.rstrip().endswith("Stopped.")
    # The key was made by this server: sends made with another key would not match.
    assert "Warning: no key for unsubscribe links yet" in stdout
    assert "POST /u/… 200" in stderr
    assert token not in stderr and "anna" not in stderr and "Traceback" not in stderr
    db = connect(config)
    assert suppression.is_suppressed(db, "anna@example.org", newsletter="test")


def test_a_port_in_use_is_a_plain_error(
    config: Config, served: tuple[subprocess.Popen[str], str]
) -> None:
    port = int(served[1].rpartition(":")[2])
    second = start(config, port)
    _, stderr = second.communicate(timeout=30)
    assert second.returncode == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}" in stderr and "--port" in stderr
    assert "Traceback" not in stderr


def test_serve_on_ipv6_loopback_prints_an_address_a_browser_takes(config: Config) -> None:
    with socket.socket(socket.AF_INET6) as probe:
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
    process = start(config, port, host="::1")
    url = f"http://[::1]:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=15)
    assert f"at {url}/ for the public address" in stdout
