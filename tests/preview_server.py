"""Run a preview server in a thread for a test: the real uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from newsletter.review.preview import Preview


@contextmanager
def running_preview(issue: Path) -> Iterator[tuple[Preview, str]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    preview = Preview(issue, base_url=url)
    server = uvicorn.Server(uvicorn.Config(preview.app(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield preview, url
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
