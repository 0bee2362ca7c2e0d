"""The state on PostgreSQL: one schema in two dialects, migrations by command, the address
and its secrets, TLS. (Everything else runs on both engines in the other tests.)"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import trustme
from backends import connect_url, database_url, fresh_database, require_cluster
from click.testing import CliRunner

from newsletter.cli import main
from newsletter.config import load_config
from newsletter.errors import ConfigError, StateError
from newsletter.state import Connection, Target, connect
from newsletter.state.migrations import applied, latest, migrate, migrations
from newsletter.state.postgres import conninfo


def columns(db: Connection) -> dict[str, list[tuple[str, str, bool, bool]]]:
    """Table -> (column, type, NOT NULL, has a default) in order, in the words both share."""
    found: dict[str, list[tuple[str, str, bool, bool]]] = {}
    if db.dialect.name == "sqlite":
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            for row in db.execute(f"PRAGMA table_info({name})"):
                kind = {"INTEGER": "integer", "TEXT": "text"}[row["type"]]
                # An INTEGER PRIMARY KEY is SQLite's row id: numbered by itself where the
                # tool counts on it (PostgreSQL's identity columns); always given elsewhere.
                rowid = kind == "integer" and row["pk"] == 1
                rowid = rowid and name not in ("recipients", "migrations", "health")
                found.setdefault(name, []).append(
                    (row["name"], kind, bool(row["notnull"] or row["pk"]),
                     row["dflt_value"] is not None or rowid)
                )  # fmt: skip
    else:
        for row in db.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default,"
            " is_identity FROM information_schema.columns WHERE table_schema = current_schema()"
            " ORDER BY table_name, ordinal_position"
        ):
            kind = {"bigint": "integer", "integer": "integer", "text": "text"}[row["data_type"]]
            default = row["column_default"] is not None or row["is_identity"] == "YES"
            found.setdefault(row["table_name"], []).append(
                (row["column_name"], kind, row["is_nullable"] == "NO", default)
            )
    return found


def test_the_same_migrations_make_the_same_tables_on_both(tmp_path: Path) -> None:
    with connect(tmp_path / "state.sqlite3") as lite, connect_url(fresh_database()) as server:
        assert columns(lite) == columns(server)
        assert applied(lite) == applied(server) == {m.number for m in migrations()}


def test_every_migration_has_sql_for_both_engines() -> None:
    sqlite, postgresql = migrations("sqlite"), migrations("postgresql")
    assert [(m.number, m.name) for m in sqlite] == [(m.number, m.name) for m in postgresql]
    assert all(m.sql.strip() for m in sqlite + postgresql) and sqlite[-1].number == latest()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "newsletter.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_empty_database_is_refused_until_state_migrate(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_database(migrated=False)
    monkeypatch.setenv("NEWSLETTER_STATE_URL", url)
    refused = CliRunner().invoke(main, ["subscribers", "suppressed"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "has no newsletter tables yet" in refused.output
    assert "newsletter state migrate" in refused.output
    done = CliRunner().invoke(main, ["state", "migrate"])
    assert done.exit_code == 0, done.output
    assert f"Applied migration {latest():03d}" in done.output
    again = CliRunner().invoke(main, ["state", "migrate"])
    assert "Applied" not in again.output and "the tables are current" in again.output
    assert CliRunner().invoke(main, ["subscribers", "suppressed"]).exit_code == 0


def test_older_tables_are_refused_and_migrated_by_command(project: Path) -> None:
    url = fresh_database(migrated=False)
    with connect_url(url) as db:
        db.execute(db.dialect.migrations_table)
        for migration in migrations("postgresql")[:3]:
            db.raw.execute(migration.sql)  # type: ignore[attr-defined]
            db.execute("INSERT INTO migrations (number, name) VALUES (?, ?)",
                       (migration.number, migration.name))  # fmt: skip
        db.execute("INSERT INTO suppression (address_hash, address, reason) "
                   "VALUES ('h', 'anna@example.org', 'manual')")  # fmt: skip
    config = load_config(project / "newsletter.toml")
    with pytest.raises(StateError, match=r"older than this version.*newsletter state migrate"):
        connect(config, url=url)
    with connect(config, url=url, schema="any") as db:
        assert [m.number for m in migrate(db)] == [m.number for m in migrations()[3:]]
    with connect(config, url=url) as db:
        assert db.execute("SELECT address FROM suppression").scalar() == "anna@example.org"


def test_tables_of_a_newer_version_are_refused(project: Path) -> None:
    url = fresh_database()
    with connect_url(url) as db:
        db.execute("INSERT INTO migrations (number, name) VALUES (999, 'future')")
    config = load_config(project / "newsletter.toml")
    with pytest.raises(StateError, match=r"newer version of newsletter .migration 999"):
        connect(config, url=url)
    with pytest.raises(StateError, match="newer version"), connect_url(url) as db:
        migrate(db)


def test_two_migrations_at_once_apply_each_step_once() -> None:
    url = fresh_database(migrated=False)
    done: list[list[int]] = []

    def run() -> None:
        with connect_url(url) as db:
            done.append([m.number for m in migrate(db)])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [m.number for m in migrations()]
    assert sorted(n for numbers in done for n in numbers) == every
    with connect_url(url) as db:
        assert applied(db) == set(every)


# --- the address: TLS to another machine, the password from the environment -------------


def server(url: str) -> Target:
    return Target("postgresql", None, url, Path("/nonexistent"))


def test_tls_that_checks_the_certificate_is_the_default_to_another_machine() -> None:
    made = conninfo(server("postgresql://newsletter@db.example.org/newsletter"), environ={})
    assert "sslmode=verify-full" in made and "sslrootcert=system" in made
    kept = conninfo(server("postgresql://n@db.example.org/n?sslmode=require"), environ={})
    assert "sslmode=require" in kept and "sslrootcert" not in kept
    own = conninfo(server("postgresql://n@10.0.0.5/n?sslrootcert=/etc/ca.pem"), environ={})
    assert "sslmode=verify-full" in own and "sslrootcert=/etc/ca.pem" in own


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_no_tls_to_another_machine_is_refused(mode: str) -> None:
    with pytest.raises(ConfigError, match=f"sslmode={mode} .* unencrypted"):
        conninfo(server(f"postgresql://n@db.example.org/n?sslmode={mode}"), environ={})
    with pytest.raises(ConfigError, match="unencrypted"):
        conninfo(server("postgresql://n@/n"), environ={"PGHOST": "db.example.org",
                                                        "PGSSLMODE": mode})  # fmt: skip


@pytest.mark.parametrize(
    "url", ["postgresql://n@localhost/n", "postgresql://n@127.0.0.1:5433/n",
            "postgresql://n@[::1]/n", "postgresql://n@/n?host=/var/run/postgresql"],
)  # fmt: skip
def test_this_machine_needs_no_tls(url: str) -> None:
    assert "sslmode" not in conninfo(server(url), environ={})


def test_a_password_in_the_address_is_refused_in_the_file_and_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "newsletter.toml").write_text(
        'base_url = "https://n.example.org"\nstate_url = "postgresql://n:hemligt@db/n"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"newsletter.toml:2: state_url: a password") as info:
        load_config(project / "newsletter.toml")
    assert "hemligt" not in str(info.value) and "NEWSLETTER_STATE_PASSWORD" in str(info.value)
    (project / "newsletter.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("NEWSLETTER_STATE_URL", "postgresql://n@db/n?password=hemligt")
    with pytest.raises(ConfigError, match="NEWSLETTER_STATE_URL: state_url: a password"):
        load_config(project / "newsletter.toml")


@pytest.fixture
def password_user() -> str:
    """A role that must sign in with a password (.ci/postgres's pg_hba.conf says so)."""
    import psycopg

    with psycopg.connect(require_cluster(), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'newsletter_pw'")
        if exists.fetchone() is None:
            admin.execute("CREATE ROLE newsletter_pw LOGIN PASSWORD 'test-password'")
    return "newsletter_pw"


def test_the_password_comes_from_the_environment(
    project: Path, password_user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = fresh_database().rsplit("/", 1)[1]
    with connect_url(database_url(name)) as db:
        db.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public"
                   f" TO {password_user}")  # fmt: skip
    url = database_url(name, user=password_user)
    monkeypatch.setenv("NEWSLETTER_STATE_URL", url)
    monkeypatch.delenv("NEWSLETTER_STATE_PASSWORD", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(project / "no-such-file"))
    refused = CliRunner().invoke(main, ["state", "verify"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "NEWSLETTER_STATE_PASSWORD" in refused.output
    monkeypatch.setenv("NEWSLETTER_STATE_PASSWORD", "test-password")
    with connect(load_config(project / "newsletter.toml")) as db:
        assert db.execute("SELECT current_user").scalar() == password_user


def test_a_verified_tls_connection_and_a_certificate_it_does_not_trust(
    project: Path, tmp_path: Path
) -> None:
    # No cluster: skipped as every PostgreSQL test is (failed in CI); one without TLS: failed.
    port = require_cluster().rsplit(":", 1)[1].split("/")[0]
    authority = os.environ.get("NEWSLETTER_TEST_POSTGRES_CA")
    if not authority:
        pytest.fail("the test cluster was started without TLS (NEWSLETTER_TEST_POSTGRES_CA)")
    name = fresh_database().rsplit("/", 1)[1]
    url = f"postgresql://postgres@localhost:{port}/{name}?sslmode=verify-full"
    config = load_config(project / "newsletter.toml")
    with connect(config, url=f"{url}&sslrootcert={authority}") as db:
        assert db.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar()
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    with pytest.raises(StateError, match="certificate could not be checked") as info:
        connect(config, url=f"{url}&sslrootcert={stranger}")
    assert info.value.kind == "unavailable"


def test_a_server_that_does_not_answer_is_named_plainly(project: Path) -> None:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    config = load_config(project / "newsletter.toml")
    with pytest.raises(StateError, match=f"127.0.0.1:{port}/n: cannot reach the state database"):
        connect(config, url=f"postgresql://n@127.0.0.1:{port}/n")
