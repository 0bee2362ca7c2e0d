"""1,000 one-click unsubscribes at once, while a send writes its journal to the same database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_fixtures import Project, make_project, serve

from newsletter.state import connect, database_path, transaction

PEOPLE = 1000
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    # Half the addresses were mailed (they are in the journal), half are only on the list.
    rows = "".join(f"person{n}@example.org;Person {n}\n" for n in range(PEOPLE // 2, PEOPLE))
    yield from serve(make_project(tmp_path, subscribers=f"email;name\n{rows}"))


def journal_send(project: Project, send_id: int, addresses: list[str]) -> None:
    with transaction(project.db):
        project.db.execute(
            "INSERT INTO sends (id, newsletter, slug, subject, lists, fingerprint)"
            " VALUES (?, 'test', ?, 'Nyheter', '[]', 'f')",
            (send_id, f"2020-{send_id:02d}"),
        )
        project.db.executemany(
            "INSERT INTO recipients (send_id, seq, address, address_id) VALUES (?, ?, ?, ?)",
            [
                (send_id, seq, address, project.signer.address_id(address, "test"))
                for seq, address in enumerate(addresses)
            ],
        )


class JournalWriter(threading.Thread):
    """Marks recipients of another send sending, then sent, one short transaction at a time."""

    def __init__(self, path: Path, send_id: int) -> None:
        super().__init__(daemon=True)
        self.path, self.send_id = path, send_id
        self.stop = threading.Event()
        self.writes = 0

    def run(self) -> None:
        db = connect(self.path)
        seq = 0
        while not self.stop.is_set():
            for status in ("sending", "sent"):
                with transaction(db):
                    db.execute(
                        "UPDATE recipients SET status = ?, attempts = attempts + 1,"
                        " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                        " WHERE send_id = ? AND seq = ?",
                        (status, self.send_id, seq % 5000),
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
    journal_send(project, 2, [f"other{n}@example.org" for n in range(5000)])
    writer = JournalWriter(database_path(project.config), 2)
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
    sent = project.db.execute("SELECT count(*) FROM recipients WHERE status = 'sent'").fetchone()
    assert sent[0] > 0
