"""The real server for tests: uvicorn in a thread, on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp

from newsletter.web.server import listen, make_server


@contextmanager
def running(app: ASGIApp, /, *, trusted_proxies: list[str] | None = None) -> Iterator[str]:
    """Serve APP on 127.0.0.1 and an unused port; yields the base URL, 'http://127.0.0.1:N'.

    TRUSTED_PROXIES as `[web] trusted_proxies` (None: uvicorn's default, this machine).
    """
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    # log_config=None: pytest's caplog sees the log records.
    server = make_server(app, log_config=None, trusted_proxies=trusted_proxies)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()
