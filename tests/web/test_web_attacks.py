"""Attacks on the web side: issue 12, items 6, 8, 9 and 10.

`newsletter serve` runs as operators run it, in a subprocess on a loopback port, its log
written to a file the tests read: forged log lines, 300 slow connections against a
lowered limit of open files, a database that cannot be written or is damaged under the
running server, and the links of a forgotten subscriber.
"""

from __future__ import annotations

import os
import resource
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest.mock import ANY

import httpx
import pytest
from smalldisk import small_disk
from web_fixtures import make_project, rendered_issue, serve
from webserver import running

from newsletter.audience import privacy, suppression
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config, load_config
from newsletter.delivery import archive, journal
from newsletter.state import connect, database_path
from newsletter.web import create_app, health

ONE_CLICK = {"List-Unsubscribe": "One-Click"}

pytestmark = pytest.mark.usefixtures("state_engine")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(
    config: Config,
    log: Path,
    *,
    setup: Callable[[], None] | None = None,
    prefix: tuple[str, ...] = (),
) -> Iterator[str]:
    """`newsletter serve` on CONFIG's project, its log in LOG, until the block ends."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NEWSLETTER_") or k.startswith("NEWSLETTER_STATE_")
    }
    with log.open("w") as errors:
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "newsletter", "serve", "--port", str(port)],
            cwd=config.root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            preexec_fn=setup,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{url}/robots.txt", timeout=5)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"newsletter serve did not start: {log.read_text()}")
                    time.sleep(0.1)
            yield url
        finally:
            process.kill()
            process.wait(10)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = make_project(tmp_path)
    db = connect(config)
    archive.publish(db, config, rendered_issue(config))
    db.close()
    return config


# --- item 6: log forging ----------------------------------------------------------------


def test_a_request_cannot_write_lines_or_escape_codes_into_the_log(
    config: Config, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    forged = (
        "/x%1b[31m%0d%0a2031-01-01%2012:00:00,000%20INFO%20newsletter.web:%20POST%20/test/"
        "%20200%200.1ms"
    )
    with served(config, log) as url:
        port = int(url.rpartition(":")[2])
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(f"GET {forged} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            assert raw.recv(100).startswith(b"HTTP/1.1 404")
        httpx.get(f"{url}/u/%1b%5b2J%0aAAA")
    text = log.read_bytes()
    assert b"\x1b" not in text and b"\r" not in text
    lines = [
        line
        for line in text.decode().splitlines()
        if "newsletter.web: GET" in line and "robots.txt" not in line
    ]
    # One line per request: the forged "POST ... 200" is part of the first, escaped.
    assert len(lines) == 2, lines
    assert "GET /x\\x1b[31m\\r\\n2031-01-01 12:00:00,000 INFO newsletter.web: POST" in lines[0]
    assert lines[0].endswith("ms") and " 404 " in lines[0]
    assert not any(line.startswith("2031-") for line in text.decode().splitlines())


# --- item 8: many slow connections -------------------------------------------------------


def test_slow_connections_cannot_starve_health_or_flood_the_log(
    config: Config, tmp_path: Path
) -> None:
    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (96, 96))  # the server keeps 64 at most

    log = tmp_path / "serve.log"
    with served(config, log, setup=few_files) as url, ExitStack() as stack:
        port = int(url.rpartition(":")[2])
        # 300 clients that start a request and never finish it (slowloris).
        for _ in range(300):
            slow = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
            slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        response = httpx.get(f"{url}/health", timeout=30)
        assert response.status_code == 200 and response.json()["status"] == "ok"
    text = log.read_text()
    assert "Traceback" not in text and len(text) < 20_000, text[-2000:]
    assert text.count("Too many open files") <= 1


# --- item 9: /health tests what the service needs ------------------------------------------


@pytest.mark.sqlite_only
def test_health_fails_when_the_database_cannot_be_written(config: Config, tmp_path: Path) -> None:
    # As the attack did it: the database file made read-only for the service. Root may
    # write any file, so the server runs without that power (setpriv drops the
    # capability), as a service user would.
    if os.geteuid() != 0:
        pytest.skip("dropping CAP_DAC_OVERRIDE with setpriv needs root")
    database_path(config).chmod(0o444)
    signer = TokenSigner(load_secret(config))
    no_override = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all")
    with served(config, tmp_path / "serve.log", prefix=no_override) as url:
        response = httpx.get(f"{url}/health")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "read-only", "key": ANY}
        post = httpx.post(f"{url}/u/{signer.make('anna@example.org', 'test')}", data=ONE_CLICK)
        assert post.status_code == 503


@pytest.mark.postgresql_only
def test_health_fails_when_the_database_server_only_reads(tmp_path: Path) -> None:
    # PostgreSQL's meaning of a database that cannot be written: a standby, or a
    # database set to read only. (Its disk and pages are the server's to watch.)
    config = make_project(tmp_path)
    with connect(config) as db:
        name = db.execute("SELECT current_database()").scalar()
        db.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    with served(config, tmp_path / "serve.log") as url:
        response = httpx.get(f"{url}/health")
        assert response.status_code == 503
        assert (response.json()["status"], response.json()["database"]) == (
            "unavailable", "read-only",
        )  # fmt: skip
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


@pytest.mark.sqlite_only
def test_health_fails_when_the_disk_is_full(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 2048) as disk:
        make_project(tmp_path)
        toml = tmp_path / "newsletter.toml"
        text = toml.read_text().replace(
            'base_url = "https://nyhetsbrev.example.org"',
            'base_url = "https://nyhetsbrev.example.org"\nstate_dir = "disk/state"',
        )
        toml.write_text(text)
        config = load_config(toml)
        for project in serve(config, rendered_issue(config)):
            assert httpx.get(f"{project.url}/health").status_code == 200
            disk.fill()
            response = httpx.get(f"{project.url}/health")
            assert response.status_code == 503
            assert response.json() == {"status": "unavailable", "database": "full", "key": ANY}
            disk.free()
            assert httpx.get(f"{project.url}/health").status_code == 200


@pytest.mark.sqlite_only
def test_health_fails_when_the_database_is_damaged_under_the_server(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "CHECK_INTERVAL", 0.0)  # quick_check on every request
    path = database_path(config)
    db = connect(path)
    db.executemany(
        "INSERT INTO suppression (address_hash, address, reason) VALUES (?, ?, 'manual')",
        ((f"{n:064x}", f"p{n}@example.org") for n in range(3000)),
    )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with running(create_app(config)) as url:
        assert httpx.get(f"{url}/health").status_code == 200
        with path.open("r+b") as file:  # garbage over pages in the middle
            file.seek(path.stat().st_size // 2)
            file.write(b"\xde\xad\xbe\xef" * 4096)
        # Another process writes (a send, an import): the server's cache of pages is
        # stale from then on, and it reads the damaged file.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("UPDATE health SET checked_at = 'elsewhere'")
        other.close()
        response = httpx.get(f"{url}/health")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "damaged", "key": ANY}


# --- item 10: a forgotten subscriber's link -------------------------------------------------


def test_a_forgotten_subscribers_link_names_nobody(config: Config) -> None:
    for project in serve(config, rendered_issue(config)):
        signer = project.signer
        db = project.db
        # Anna got an issue: she is in the journal, with her keyed id.
        journal.freeze(db, newsletter="test", slug="2020-03", subject="S", lists=["test"],
                       subscribers=[_subscriber("anna@example.org")], fingerprint="f",
                       signer=signer)  # fmt: skip
        token = project.token()
        assert httpx.get(f"{project.url}/u/{token}").status_code == 200
        privacy.forget(config, db, "anna@example.org")
        assert httpx.get(f"{project.url}/u/{token}").status_code == 404
        assert httpx.post(f"{project.url}/u/{token}", data=ONE_CLICK).status_code == 404
        assert httpx.post(f"{project.url}/u/{token}/undo").status_code == 404
        # No entry for the hash of an empty address, and hers stays (by hash only).
        assert not suppression.is_suppressed(db, "", newsletter="test")
        assert suppression.is_suppressed(db, "anna@example.org", newsletter="test")


def _subscriber(address: str) -> object:
    from newsletter.audience.subscribers import Subscriber

    return Subscriber(address, "", {}, "test.csv:2")
