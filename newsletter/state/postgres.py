"""The state database on a PostgreSQL server, through psycopg 3.

The address comes from `state_url`, the password from the environment only
(NEWSLETTER_STATE_PASSWORD, or libpq's own PGPASSFILE and PGPASSWORD). A server that is
not on this machine is reached over TLS that checks its certificate and name
(`sslmode=verify-full`, against the system's certificate authorities unless
`sslrootcert` names others); a weaker `sslmode` may be chosen in the URL, no TLS at all
is refused. Every session has a lock timeout and ends a transaction left idle, so a
hung or crashed process never holds rows for long.
"""

from __future__ import annotations

__all__ = [
    "PostgresConnection",
    "configure",
    "configure_raw",
    "connection_kwargs",
    "conninfo",
    "explain",
    "open_database",
    "row_factory",
]

import contextlib
import functools
import os
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from newsletter.errors import ConfigError, StateError
from newsletter.state.connection import Connection, Cursor
from newsletter.state.dialect import POSTGRESQL, pyformat
from newsletter.state.location import Target
from newsletter.translate import N_, _

if TYPE_CHECKING:
    import psycopg

# Waiting longer for a lock than this is a stuck process: say "busy", never hang.
LOCK_TIMEOUT = "30s"
# A transaction left open this long (a process hung between two statements) is ended by
# the server, and its locks with it.
IDLE_TIMEOUT = "60s"
_WEAK = {"disable", "allow", "prefer"}


def _is_local(host: str) -> bool:
    # A path is a Unix socket on this machine; libpq's default (no host) is one too.
    return (
        not host
        or host.startswith("/")
        or host.startswith("@")
        or host in {"localhost", "::1"}
        or host.startswith("127.")
    )


def conninfo(target: Target, /, *, environ: Mapping[str, str] = os.environ) -> str:
    """TARGET's address as libpq takes it, with TLS required to a server on another machine."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        given = conninfo_to_dict(target.url)
    except Exception as exc:  # psycopg.ProgrammingError: not a URL libpq understands
        raise ConfigError(_("state_url {url}: {exc}").format(url=target.url, exc=exc)) from None
    hosts = str(given.get("host") or environ.get("PGHOST", "")).split(",")
    extra: dict[str, str] = {}
    if not all(_is_local(host.strip()) for host in hosts):
        sslmode = str(given.get("sslmode") or environ.get("PGSSLMODE", "")) or "verify-full"
        if sslmode in _WEAK:
            raise ConfigError(
                _(
                    "state_url {url}: sslmode={sslmode} would let the suppression list and the "
                    "journal cross the network unencrypted. Leave sslmode out (verify-full, the "
                    "default, checks the server's certificate and name) or set sslmode=require; "
                    "to go without TLS, reach the server through a Unix socket or an SSH tunnel "
                    "on this machine."
                ).format(url=target.url, sslmode=sslmode)
            )
        extra["sslmode"] = sslmode
        if sslmode.startswith("verify") and not _root_certificate(given, environ):
            extra["sslrootcert"] = "system"  # the system's certificate authorities
    extra.setdefault("connect_timeout", str(given.get("connect_timeout") or 10))
    extra.setdefault("application_name", str(given.get("application_name") or "newsletter"))
    return make_conninfo(target.url, **extra)


def _root_certificate(given: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
    if given.get("sslrootcert") or environ.get("PGSSLROOTCERT"):
        return True
    return (Path.home() / ".postgresql" / "root.crt").exists()


def connection_kwargs(password: str | None, /) -> dict[str, Any]:
    """The keyword arguments of every connection: autocommit, rows by name, the password."""
    kwargs: dict[str, Any] = {"autocommit": True, "row_factory": row_factory}
    if password:
        kwargs["password"] = password
    return kwargs


def open_database(target: Target, /, *, password: str | None = None) -> PostgresConnection:
    """A session on TARGET's database (the schema is not checked here)."""
    import psycopg

    try:
        raw = psycopg.connect(conninfo(target), **connection_kwargs(password))
    except psycopg.Error as exc:
        raise explain(exc, target.url) from None
    db = PostgresConnection(raw, target.url)
    configure(db)
    return db


def configure(db: PostgresConnection, /) -> None:
    """Set the session's timeouts (see the module's docstring)."""
    db.execute(_TIMEOUTS, (LOCK_TIMEOUT, IDLE_TIMEOUT))


def configure_raw(raw: psycopg.Connection[Any], /, *, lock_timeout: str = LOCK_TIMEOUT) -> None:
    """configure() for a connection of psycopg's pool."""
    raw.execute(pyformat(_TIMEOUTS), (lock_timeout, IDLE_TIMEOUT))


_TIMEOUTS = (
    "SELECT set_config('lock_timeout', ?, false),"
    " set_config('idle_in_transaction_session_timeout', ?, false)"
)


class _Row(tuple[Any, ...]):
    """A row of values, also read by column name."""

    __slots__ = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any, /) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[_Row]:
    index = {name: number for number, name in enumerate(names)}
    return type("Row", (_Row,), {"__slots__": (), "_index": index})


def row_factory(cursor: Any) -> Callable[[Sequence[Any]], _Row]:
    """psycopg's row factory: a tuple that also answers to column names."""
    names = tuple(column.name for column in cursor.description or ())
    return _row_class(names)


class PostgresConnection(Connection):
    """A psycopg connection in autocommit mode between explicit transactions."""

    dialect = POSTGRESQL

    def __init__(self, raw: psycopg.Connection[Any], url: str, /, *, owned: bool = True) -> None:
        self.raw, self.where = raw, url
        if owned:
            # As a SQLite connection is: closed when forgotten (psycopg would warn instead).
            # A finalizer, unlike __del__, runs before psycopg's own even in a reference cycle.
            weakref.finalize(self, _close_quietly, raw)

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        try:
            return Cursor(self.raw.execute(pyformat(sql), params), self.explain)
        except Exception as exc:
            raise self.explain(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        try:
            with self.raw.cursor() as cursor:
                cursor.executemany(pyformat(sql), rows)
        except Exception as exc:
            raise self.explain(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.raw.transaction():
                yield self
        except StateError:
            raise
        except Exception as exc:
            import psycopg

            if isinstance(exc, psycopg.Error):
                raise self.explain(exc) from exc
            raise

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        with self.transaction():
            self.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield self

    def close(self) -> None:
        _close_quietly(self.raw)

    def explain(self, exc: Exception, /) -> StateError:
        import psycopg

        if isinstance(exc, StateError):
            return exc
        if not isinstance(exc, psycopg.Error):
            raise exc
        return explain(exc, self.where)


def _close_quietly(raw: psycopg.Connection[Any]) -> None:
    with contextlib.suppress(Exception):
        raw.close()


# What a SQLSTATE means for the editor, and the kind of failure (StateError.kind).
_BUSY = (
    N_(
        "{where}: the database is busy {said}: another newsletter process holds what this"
        " one needs. Run the command again in a minute."
    ),
    "busy",
)
_PLAIN: dict[str, tuple[str, str]] = {
    "53100": (
        N_(
            "{where}: the database server's disk is full {said}. Ask its administrator to "
            "free space, then run the command again; what was recorded before is kept."
        ),
        "full",
    ),
    "25006": (
        N_(
            "{where}: the database cannot be written {said}: this server only reads (a "
            "standby?). Point state_url at the primary server."
        ),
        "read-only",
    ),
    **dict.fromkeys(("40001", "40P01", "55P03", "57014"), _BUSY),
    "42501": (
        N_(
            "{where}: the database user may not do this {said}. Grant it the rights "
            "docs/deploy.md lists."
        ),
        "other",
    ),
}


def explain(exc: psycopg.Error, where: str, /) -> StateError:
    """EXC from PostgreSQL (or from reaching it) in plain words with what to do."""
    code = exc.sqlstate or ""
    # The server's own sentence, without the query it points into.
    said = f"(PostgreSQL: {exc.diag.message_primary or ' '.join(str(exc).split())})"
    if not code:
        return _unreachable(exc, where)
    if plain := _PLAIN.get(code):
        message, kind = plain
        return StateError(_(message).format(where=where, said=said), kind=kind)
    if code.startswith(("08", "57P", "53")):
        return _unreachable(exc, where)
    if code.startswith("23"):
        return StateError(f"{where}: {exc.diag.message_primary or exc}", kind="constraint")
    if code.startswith("XX"):
        return StateError(
            _(
                "{where}: the database server reports damaged data {said}. Ask its administrator "
                "to check it and restore it from the server's backups (see docs/deploy.md)."
            ).format(where=where, said=said),
            kind="damaged",
        )
    return StateError(
        _("{where}: the state database cannot be used {said}.").format(where=where, said=said),
        kind="other",
    )


def _unreachable(exc: Exception, where: str) -> StateError:
    said = str(exc).strip().replace("\n", " ")
    if "password" in said:
        advice = _(
            "Set the database user's password in NEWSLETTER_STATE_PASSWORD (or in a "
            "PGPASSFILE), or fix the user name in state_url."
        )
    elif "certificate" in said or "SSL" in said:
        advice = _(
            "The server's TLS certificate could not be checked: add "
            "sslrootcert=/path/to/ca.pem to state_url with the certificate of the authority "
            "that signed it, and use the name the certificate is for."
        )
    else:
        advice = _(
            "Check that the server runs, that this machine may reach it (host, port, "
            "firewall, pg_hba.conf), and the database name."
        )
    return StateError(
        _("{where}: cannot reach the state database (PostgreSQL: {said}). {advice}").format(
            where=where, said=said, advice=advice
        ),
        kind="unavailable",
    )
