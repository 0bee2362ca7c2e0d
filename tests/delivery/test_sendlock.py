"""One process at a time sends an issue: a file lock on SQLite, an advisory lock of the
sending session on PostgreSQL, which the server releases when that session dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsletter.config import Config, load_config
from newsletter.delivery import sendlock
from newsletter.errors import SendError
from newsletter.state import connect

pytestmark = pytest.mark.usefixtures("state_engine")

HOLD = """
import sys, time
from pathlib import Path
from newsletter.config import load_config
from newsletter.delivery import sendlock
from newsletter.state import connect
config = load_config(Path(sys.argv[1]))
db = connect(config)
with sendlock.lock(config, db, "medborgardialog", "2020-06"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "newsletter.toml").write_text("", encoding="utf-8")
    return load_config(tmp_path / "newsletter.toml")


def test_a_second_sender_is_refused_and_the_issue_shown_as_running(config: Config) -> None:
    with connect(config) as first, connect(config) as second:
        with sendlock.lock(config, first, "medborgardialog", "2020-06"):
            assert sendlock.running(config, second, "medborgardialog", "2020-06")
            assert not sendlock.running(config, second, "medborgardialog", "2020-07")
            busy = pytest.raises(SendError, match="is being sent by another newsletter process")
            with busy, sendlock.lock(config, second, "medborgardialog", "2020-06"):
                pass
            # Another issue is free to go at the same time.
            with sendlock.lock(config, second, "medborgardialog", "2020-07"):
                pass
        assert not sendlock.running(config, second, "medborgardialog", "2020-06")
        with sendlock.lock(config, second, "medborgardialog", "2020-06"):
            pass


def test_the_lock_of_a_sender_killed_outright_is_released(config: Config) -> None:
    assert config.path is not None
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(config.path)],
                              stdout=subprocess.PIPE, text=True, env=os.environ.copy())  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with connect(config) as db:
            assert sendlock.running(config, db, "medborgardialog", "2020-06")
            holder.send_signal(signal.SIGKILL)
            holder.wait(30)
            deadline = time.monotonic() + 30
            # The kernel closes the dead process's socket or file: its lock goes with it.
            while sendlock.running(config, db, "medborgardialog", "2020-06"):
                assert time.monotonic() < deadline, "the dead sender's lock was kept"
                time.sleep(0.05)
            with sendlock.lock(config, db, "medborgardialog", "2020-06"):
                pass
    finally:
        holder.kill()
        holder.communicate(timeout=30)
