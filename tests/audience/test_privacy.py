import json
import shutil
from pathlib import Path

import projects
import pytest
from backends import everything

from newsletter.audience import privacy, suppression
from newsletter.audience.subscribers import load_list
from newsletter.config import Config, load_config
from newsletter.state import connect

FIXTURES = projects.FIXTURES / "lists"
pytestmark = pytest.mark.usefixtures("state_engine")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "newsletter.toml").write_text("", encoding="utf-8")
    (tmp_path / "subscribers").mkdir()
    for name in ("kommun_a", "kommun_b"):
        shutil.copy(FIXTURES / f"{name}.csv", tmp_path / "subscribers" / f"{name}.csv")
    return load_config(tmp_path / "newsletter.toml")


def journal(db: object, address: str, status: str) -> None:
    db.execute(  # type: ignore[attr-defined]
        "INSERT INTO sends (id, newsletter, slug, subject, lists, fingerprint)"
        " VALUES (1, 'medborgardialog', 'nr-6', 'Nyhetsbrev nr 6', '[]', 'f')"
        " ON CONFLICT DO NOTHING"
    )
    db.execute(  # type: ignore[attr-defined]
        "INSERT INTO recipients (send_id, seq, address, address_id, name, status)"
        " VALUES (1, (SELECT count(*) FROM recipients), ?, 'id', ?, ?)",
        (address, address.split("@")[0].title(), status),
    )


def test_address_report_shows_lists_suppression_and_journal(config: Config) -> None:
    db = connect(config)
    suppression.suppress(db, "mats@example.org", reason="unsubscribed", newsletter="x")
    journal(db, "Mats@example.org", "sent")
    report = privacy.address_report(config, db, "MATS@example.org")
    assert [(r["list"].rsplit("/", 1)[1], r["line"]) for r in report["lists"]] == [
        ("kommun_a.csv", 3), ("kommun_b.csv", 2),
    ]  # fmt: skip
    assert report["lists"][1]["row"]["organisation"] == "Gävle kommun"
    assert [e["reason"] for e in report["suppression"]] == ["unsubscribed"]
    assert [(j["slug"], j["status"]) for j in report["journal"]] == [("nr-6", "sent")]
    json.dumps(report)  # it can be handed over as JSON


def test_forget_erases_lists_and_journal_and_keeps_a_hash(config: Config) -> None:
    db = connect(config)
    suppression.suppress(db, "mats@example.org", reason="bounced", source="dsn")
    journal(db, "Mats@example.org", "sent")
    journal(db, "mats@example.org", "queued")
    journal(db, "olle@example.org", "queued")
    report = privacy.forget(config, db, "mats@EXAMPLE.org")
    assert {Path(k).name: v for k, v in report.lists.items()} == {
        "kommun_a.csv": [3], "kommun_b.csv": [2],
    }  # fmt: skip
    assert report.journal_rows == 2
    for name in ("kommun_a", "kommun_b"):
        path = config.subscribers_dir / f"{name}.csv"
        assert "mats@" not in path.read_text(encoding="utf-8").lower()
        assert load_list(path).problems == []
    dump = everything(db).lower()
    assert "mats" not in dump
    assert "olle@example.org" in dump  # others untouched
    rows = [tuple(r) for r in db.execute("SELECT status, reply FROM recipients ORDER BY seq")]
    assert rows[0] == ("sent", None) and rows[2] == ("queued", None)
    assert rows[1][0] in {"skipped", "failed"}  # the unsent row will not go out
    assert rows[1][1] == "forgotten on request"
    assert suppression.is_suppressed(db, "mats@example.org", newsletter="any")
    assert privacy.address_report(config, db, "mats@example.org")["lists"] == []


def test_forget_of_an_unknown_address_still_suppresses_it(config: Config) -> None:
    db = connect(config)
    report = privacy.forget(config, db, "nobody@example.org")
    assert (report.lists, report.journal_rows, report.suppression_entries) == ({}, 0, 1)
    assert suppression.is_suppressed(db, "nobody@example.org", newsletter="x")


def test_unsent_rows_become_skipped(config: Config) -> None:
    db = connect(config)
    journal(db, "mats@example.org", "sending")
    privacy.forget(config, db, "mats@example.org")
    assert tuple(db.execute("SELECT status, address, name FROM recipients").fetchone()) == (
        "skipped", "", "",
    )  # fmt: skip


def test_outbox_messages_to_the_address_are_listed_and_deleted(config: Config) -> None:
    from email.message import EmailMessage

    folder = config.outbox / "medborgardialog" / "nr-6"
    folder.mkdir(parents=True)
    for number, to in enumerate(["Mats Berg <Mats@Example.org>", "olle@example.org"]):
        message = EmailMessage()
        message["To"], message["Subject"] = to, "Nyhetsbrev nr 6"
        message.set_content("Hej!")
        (folder / f"{number}.eml").write_bytes(bytes(message))
    db = connect(config)
    listed = privacy.address_report(config, db, "mats@example.org")["outbox"]
    assert [Path(p).name for p in listed] == ["0.eml"]
    report = privacy.forget(config, db, "mats@example.org")
    assert [Path(p).name for p in report.outbox_files] == ["0.eml"]
    assert sorted(p.name for p in folder.iterdir()) == ["1.eml"]
