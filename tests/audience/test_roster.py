"""Who a send leaves out and why, list by list in the order of rows, and the CSV file."""

import csv
from pathlib import Path

import pytest

from newsletter.audience import suppression
from newsletter.audience.roster import roster_path, write_roster
from newsletter.audience.subscribers import recipients
from newsletter.config import Config, load_config
from newsletter.state import connect

CONFIG = """
[newsletters.n]
name = "N"
from_name = "N"
from_address = "n@example.org"
reply_to = "n@example.org"
list_id = "n.example.org"
default_list = ["a", "b"]
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.chdir(tmp_path)  # lists are named as the editor sees them, from here
    (tmp_path / "newsletter.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "subscribers").mkdir()
    (tmp_path / "subscribers" / "a.csv").write_text(
        "E-post;Namn\nanna@example.org;Anna\nfel;X\nbo@example.org;Bo\nanna@example.org;A\n",
        encoding="utf-8",
    )
    (tmp_path / "subscribers" / "b.csv").write_text(
        "E-post;Namn\ncilla@example.org;Cilla\nbo@example.org;Bo\ndan@example.org;Dan\n",
        encoding="utf-8",
    )
    return load_config(tmp_path / "newsletter.toml")


def test_left_out_list_by_list_in_row_order_with_the_newsletters_own_reason(
    config: Config,
) -> None:
    db = connect(config.state_dir / "state.sqlite3")
    suppression.suppress(db, "dan@example.org", reason="bounced")
    # An unsubscribe from this newsletter says more than a bounce for all: it is named.
    suppression.suppress(db, "dan@example.org", reason="unsubscribed", newsletter="n")
    suppression.suppress(db, "cilla@example.org", reason="complained")
    found = recipients(config, db, ["a", "b"], newsletter="n")
    assert [s.email for s in found.subscribers] == ["anna@example.org", "bo@example.org"]
    assert [(o.source, o.kind, o.detail) for o in found.left_out] == [
        ("subscribers/a.csv:3", "invalid", found.left_out[0].detail),
        ("subscribers/a.csv:5", "duplicate", "subscribers/a.csv:2"),
        ("subscribers/b.csv:2", "suppressed", "complained"),
        ("subscribers/b.csv:4", "suppressed", "unsubscribed"),
    ]
    assert "'fel' is not a valid e-mail address" in found.left_out[0].detail


def test_the_roster_is_private_and_opens_in_excel(config: Config) -> None:
    db = connect(config.state_dir / "state.sqlite3")
    suppression.suppress(db, "bo@example.org", reason="manual")
    path = write_roster(roster_path(config, "n", "2026-01"),
                        recipients(config, db, ["a"], newsletter="n"))  # fmt: skip
    assert path == config.state_dir / "recipients" / "n" / "2026-01.csv"
    assert path.read_bytes().startswith(
        b"\xef\xbb\xbfAddress;Name;List and row;Gets it;Why not\r\n"
    )
    assert (path.stat().st_mode & 0o777) == 0o600
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    assert rows[1:] == [
        ["anna@example.org", "Anna", "subscribers/a.csv:2", "yes", ""],
        ["fel", "", "subscribers/a.csv:3", "no", rows[2][4]],
        ["bo@example.org", "Bo", "subscribers/a.csv:4", "no", "suppressed: by hand"],
        ["anna@example.org", "A", "subscribers/a.csv:5", "no",
         "duplicate of subscribers/a.csv:2, merged"],
    ]  # fmt: skip
