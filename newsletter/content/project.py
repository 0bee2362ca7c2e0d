"""The project an issue file belongs to: the newsletter.toml found from its folder."""

from __future__ import annotations

__all__ = ["load"]

from pathlib import Path

from newsletter.config import Config, find_config, load_config
from newsletter.content.loader import load_issue
from newsletter.content.model import Issue


def load(path: Path, /) -> tuple[Issue, Config]:
    """The issue at PATH, complete with its newsletter's defaults, and the configuration."""
    config = load_config(find_config(path.resolve().parent))
    return load_issue(path, config=config), config
