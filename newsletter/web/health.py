"""`/health`: whether the web side can do its work, tested the way its work needs it.

Recording an unsubscribe is a write, so the check is a write: one row of the `health`
table, in a transaction, committed. With a SQLite file it also fails when the disk
holding the database is (next to) full, and, at most once a minute, runs SQLite's
quick_check, which finds a database damaged under the running server. (A PostgreSQL
server watches its own disk and pages: the write says whether it serves.) The answer
names what failed.
"""

from __future__ import annotations

__all__ = ["CHECK_INTERVAL", "health"]

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from newsletter.errors import StateError
from newsletter.fileio import disk_is_full
from newsletter.state import Connection, now, transaction
from newsletter.web.database import Database, Unavailable
from newsletter.web.errors import RETRY_AFTER
from newsletter.web.site import site

CHECK_INTERVAL = 60.0  # seconds between two quick_checks; one costs O(database size)


async def health(request: Request) -> Response:
    """For systemd, a container or a load balancer: 200 when an unsubscribe could be
    recorded now, else 503 with what is wrong."""
    found = site(request)
    database = found.db
    try:
        problem = await database.run(lambda db: _probe(database, db))
    except Unavailable as exc:
        problem = exc.kind
    path = database.target.path
    if problem is None and path is not None and disk_is_full(path.parent):
        problem = "full"
    headers = {"Cache-Control": "no-store"}
    if problem is not None:
        body = {"status": "unavailable", "database": problem, "key": found.signer.fingerprint}
        return JSONResponse(body, 503, headers={**headers, "Retry-After": RETRY_AFTER})
    body = {"status": "ok", "database": "ok", "key": found.signer.fingerprint}
    return JSONResponse(body, headers=headers)


def _probe(database: Database, db: Connection) -> str | None:
    """None when DB can be written (and, now and then, passes quick_check); else the kind."""
    try:
        with transaction(db):
            db.execute(
                "INSERT INTO health (id, checked_at) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                (now(),),
            )
        if db.dialect.name == "sqlite" and time.monotonic() - database.checked_at >= CHECK_INTERVAL:
            found = db.execute("PRAGMA quick_check(1)").scalar()
            if found != "ok":
                return "damaged"
            database.checked_at = time.monotonic()
    except StateError as exc:
        return exc.kind
    return None
