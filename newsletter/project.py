"""The project an issue file belongs to: the newsletter.toml found from its folder."""

from __future__ import annotations

__all__ = ["load"]

from pathlib import Path

from newsletter.config import Config, find_config, load_config
from newsletter.model import Issue


def load(path: Path, /) -> tuple[Issue, Config]:
    """The issue at PATH and the configuration of the folder it is in."""
    config = load_config(find_config(path.resolve().parent))
    try:
        from newsletter.loader import load_issue  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # until the loader of issue 2 is merged
        return _load_plain(path), config
    return load_issue(path, config=config), config


def _load_plain(path: Path) -> Issue:
    import yaml
    from pydantic import ValidationError

    from newsletter.errors import IssueFileError, Location

    try:
        return Issue.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 0)
        raise IssueFileError([Location(str(path), line, column, "", str(exc.problem))]) from None
    except ValidationError as exc:
        problems = [
            Location(str(path), 1, 0, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()
        ]
        raise IssueFileError(problems) from None
