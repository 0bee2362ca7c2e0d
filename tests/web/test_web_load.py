"""1,000 one-click unsubscribes at once, while a send writes its journal to the same database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from render_fixtures import issue_data
from smtpserver import SmtpServer
from web_fixtures import Project, make_project, serve

from newsletter.config import Config
from newsletter.state import connect, now, transaction

PEOPLE = 1000
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("state_engine")]


SENT = 3000  # the size of the send under way


def subscriber_list(addresses: Iterable[str]) -> str:
    return "email;name\n" + "".join(f"{address};\n" for address in addresses)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    # Half the addresses were mailed (they are in the journal), half are only on the list.
    listed = (f"person{n}@example.org" for n in range(PEOPLE // 2, PEOPLE))
    yield from serve(make_project(tmp_path, subscribers=subscriber_list(listed)))


def journal_send(project: Project, number: int, addresses: list[str]) -> int:
    """A send of issue NUMBER to ADDRESSES in the journal: its id."""
    with transaction(project.db):
        send_id = project.db.execute(
            "INSERT INTO sends (newsletter, slug, subject, lists, fingerprint)"
            " VALUES ('test', ?, 'Nyheter', '[]', 'f') RETURNING id",
            (f"2020-{number:02d}",),
        ).scalar()
        project.db.executemany(
            "INSERT INTO recipients (send_id, seq, address, address_id) VALUES (?, ?, ?, ?)",
            [
                (send_id, seq, address, project.signer.address_id(address, "test"))
                for seq, address in enumerate(addresses)
            ],
        )
    return int(send_id)


class JournalWriter(threading.Thread):
    """Marks recipients of another send sending, then sent, one short transaction at a time."""

    def __init__(self, config: Config, send_id: int) -> None:
        super().__init__(daemon=True)
        self.config, self.send_id = config, send_id
        self.stop = threading.Event()
        self.writes = 0

    def run(self) -> None:
        db = connect(self.config)
        seq = 0
        while not self.stop.is_set():
            for status in ("sending", "sent"):
                with transaction(db):
                    db.execute(
                        "UPDATE recipients SET status = ?, attempts = attempts + 1,"
                        " updated_at = ? WHERE send_id = ? AND seq = ?",
                        (status, now(), self.send_id, seq % 5000),
                    )
                self.writes += 1
            seq += 1
        db.close()


async def post_all(url: str, tokens: list[str], *, clients: int = 20) -> list[int]:
    """POST every token at once, each on a connection of its own."""

    # Several clients: one httpx pool of a thousand connections spends its time on
    # its own bookkeeping, not on the server under test.
    async def client_posts(share: list[str]) -> list[int]:
        limits = httpx.Limits(max_connections=len(share))
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
            responses = await asyncio.gather(
                *(client.post(f"/u/{token}", data=ONE_CLICK) for token in share)
            )
        return [response.status_code for response in responses]

    shares = await asyncio.gather(*(client_posts(tokens[i::clients]) for i in range(clients)))
    return [status for share in shares for status in share]


def test_a_thousand_concurrent_unsubscribes_all_land_once(project: Project) -> None:
    addresses = [f"person{n}@example.org" for n in range(PEOPLE)]
    journal_send(project, 1, addresses[: PEOPLE // 2])
    other = journal_send(project, 2, [f"other{n}@example.org" for n in range(5000)])
    writer = JournalWriter(project.config, other)
    writer.start()
    tokens = [project.token(address) for address in addresses]
    try:
        statuses = asyncio.run(post_all(project.url, tokens))
        writes_during = writer.writes
        # Again: a provider retrying, or a reader clicking twice, changes nothing.
        repeated = asyncio.run(post_all(project.url, tokens[::7]))
    finally:
        writer.stop.set()
        writer.join(30)
    assert statuses == [200] * PEOPLE and set(repeated) == {200}
    assert writes_during > 0  # the journal was being written while the requests ran
    rows = project.db.execute(
        "SELECT address, newsletter, reason, source FROM suppression ORDER BY address"
    ).fetchall()
    assert len(rows) == PEOPLE
    assert sorted(row["address"] for row in rows) == sorted(addresses)
    assert {(row["newsletter"], row["reason"], row["source"]) for row in rows} == {
        ("test", "unsubscribed", "one-click")
    }
    assert count_sent(project, other) > 0


def count_sent(project: Project, send_id: int) -> int:
    row = project.db.execute(
        "SELECT count(*) FROM recipients WHERE send_id = ? AND status = 'sent'", (send_id,)
    ).fetchone()
    return int(row[0])


def test_a_thousand_unsubscribes_while_newsletter_send_runs(tmp_path: Path) -> None:
    """The same beside a real `newsletter send` to an SMTP server, in a process of its own."""
    listed = [f"person{n}@example.org" for n in range(SENT)]
    config = make_project(tmp_path, subscribers=subscriber_list(listed))
    (tmp_path / "issues").mkdir()
    issue = yaml.safe_dump(issue_data(number=4), allow_unicode=True)
    (tmp_path / "issues" / "next.yaml").write_text(issue, encoding="utf-8")
    for project in serve(config):
        # The readers of an earlier issue unsubscribe while the next one goes out to others.
        readers = [f"reader{n}@example.org" for n in range(PEOPLE)]
        earlier = journal_send(project, 1, readers)
        following = earlier + 1  # the send that `newsletter send` freezes next
        with SmtpServer() as smtp:
            sending = start_send(tmp_path, smtp)
            deadline = time.monotonic() + 60
            while count_sent(project, following) == 0 and sending.poll() is None:
                assert time.monotonic() < deadline, "the send did not start"
                time.sleep(0.05)
            # The send goes on for seconds (its rate limit); the POSTs start while it runs.
            # (Whether they all finish before it does depends on the machine's load.)
            sent_at_start = count_sent(project, following)
            statuses = asyncio.run(post_all(project.url, [project.token(a) for a in readers]))
            output, _ = sending.communicate(timeout=120)
        assert sending.returncode == 0, output
        assert statuses == [200] * PEOPLE
        assert 0 < sent_at_start < SENT  # the send was under way when they began
        assert count_sent(project, following) == SENT and len(smtp.messages) == SENT
        addresses = [row[0] for row in project.db.execute("SELECT address FROM suppression")]
        assert sorted(addresses) == sorted(readers)


def environment() -> dict[str, str]:
    """This process's environment without the settings of newsletter's, but the state's."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEWSLETTER_") or key.startswith("NEWSLETTER_STATE_")
    }


def start_send(folder: Path, smtp: SmtpServer) -> subprocess.Popen[str]:
    env = environment()
    # A rate limit stretches the send over some seconds: the POSTs all land meanwhile.
    env.update(smtp.environment(), NEWSLETTER_SMTP_PER_SECOND="300")
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "send", "issues/next.yaml", "--yes"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(folder: Path, *args: str) -> Iterator[str]:
    """`newsletter serve ARGS` on the project in FOLDER, in a process of its own: its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "serve", "--port", str(port), *args],
        cwd=folder,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the server did not start"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        assert "Traceback" not in output, output


async def post_spread(urls: list[str], tokens: list[str]) -> list[int]:
    """POST every token at once, the first half to the first server, the rest to the second."""
    halves = [tokens[: len(tokens) // 2], tokens[len(tokens) // 2 :]]
    shares = await asyncio.gather(*(post_all(url, half, clients=10)
                                    for url, half in zip(urls, halves, strict=True)))  # fmt: skip
    return [status for share in shares for status in share]


@pytest.mark.postgresql_only
def test_a_thousand_unsubscribes_spread_over_two_servers_land_once_each(project: Project) -> None:
    """Two `serve` processes on one database, as two hosts would be (one of them running
    two workers): every request is recorded once, none lost, none twice."""
    addresses = [f"person{n}@example.org" for n in range(PEOPLE)]
    journal_send(project, 1, addresses[: PEOPLE // 2])
    tokens = [project.token(address) for address in addresses]
    folder = project.config.root
    with serving(folder) as first, serving(folder, "--workers", "2") as second:
        statuses = asyncio.run(post_spread([first, second], tokens))
        # The same requests again, crossed over: each server meets what the other did.
        again = asyncio.run(post_spread([second, first], tokens[::5]))
    assert statuses == [200] * PEOPLE and set(again) == {200}
    rows = project.db.execute(
        "SELECT address, count(*) FROM suppression GROUP BY address ORDER BY address"
    ).fetchall()
    assert [(row[0], row[1]) for row in rows] == [(a, 1) for a in sorted(addresses)]
