"""The project an issue file belongs to: the newsletter.toml found from its folder."""

from __future__ import annotations

__all__ = ["load"]

from pathlib import Path

from newsletter.config import Config, require_config
from newsletter.content.loader import load_issue_text, read_issue_text
from newsletter.content.model import Issue


def load(path: Path, /, *, config_path: Path | None = None) -> tuple[Issue, Config]:
    """The issue at PATH, complete with its newsletter's defaults, and the configuration.

    The configuration is CONFIG_PATH, else the newsletter.toml of the issue's folder or
    one above it; a ConfigError (pointing at `newsletter init`) when there is none.
    """
    text = read_issue_text(path)  # the file's own problems first (a folder, a device)
    config = require_config(config_path, start=path.resolve().parent)
    return load_issue_text(text, str(path), config=config), config
