"""Where the state database is: the project's SQLite file, another one, or PostgreSQL.

`state_url` (NEWSLETTER_STATE_URL) chooses: absent, the file `state.sqlite3` in
`state_dir`; `sqlite:///PATH` another SQLite file (relative to newsletter.toml's folder,
`sqlite:////absolute/path` from the root); `postgresql://USER@HOST:PORT/DATABASE` a
PostgreSQL database, shared by the web server and every editor.
"""

from __future__ import annotations

__all__ = ["BACKUP_FOLDER", "DB_NAME", "Target", "backup_folder", "database_path", "target"]

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote

from newsletter.errors import ConfigError
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.config import Config

DB_NAME = "state.sqlite3"
BACKUP_FOLDER = "backups"  # beside the SQLite file; in state_dir for PostgreSQL
_SQLITE = "sqlite:///"


@dataclass(frozen=True, slots=True)
class Target:
    """A state database: its engine, and where it is."""

    engine: Literal["sqlite", "postgresql"]
    path: Path | None  # the SQLite file
    url: str  # the PostgreSQL address as given (never with a password), or ""
    backups: Path  # the folder of the backups made by `send` and `state backup`

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else self.url

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"


def target(config: Config, /, url: str | None = None) -> Target:
    """The state database CONFIG names (or the one URL names, relative to CONFIG's folder)."""
    url = config.state_url if url is None else url
    if not url:
        path = config.state_dir / DB_NAME
        return Target("sqlite", path, "", path.parent / BACKUP_FOLDER)
    from newsletter.valuechecks import check_state_url

    try:
        check_state_url(url)
    except ValueError as exc:
        raise ConfigError(
            _("state_url {url!r}: {exc}.").format(url=url.split("@")[-1], exc=exc)
        ) from None
    if url.startswith(_SQLITE):
        path = Path(unquote(url.removeprefix(_SQLITE)))
        path = path if path.is_absolute() else config.root / path
        return Target("sqlite", path, "", path.parent / BACKUP_FOLDER)
    return Target("postgresql", None, url, config.state_dir / BACKUP_FOLDER)


def database_path(config: Config, /) -> Path:
    """The SQLite file of CONFIG's state; ConfigError when the state is on PostgreSQL."""
    found = target(config)
    if found.path is None:
        raise ConfigError(
            _(
                "the state database is on PostgreSQL ({url}), not in a file; this needs the "
                "SQLite file."
            ).format(url=found.url)
        )
    return found.path


def backup_folder(config: Config, /) -> Path:
    """Where the backups of CONFIG's state database go."""
    return target(config).backups
