"""Where templates come from: the newsletter's own folder, the project's, then the defaults."""

from __future__ import annotations

__all__ = ["default_templates", "environment", "template_folders"]

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined

from newsletter.config import CONFIG_NAME, Config, NewsletterConfig
from newsletter.errors import ConfigError
from newsletter.translate import _

_PACKAGE = Path(__file__).resolve().parent.parent  # the newsletter package


def default_templates() -> Path:
    """The built-in templates: packaged in the wheel, or the repository's in a checkout."""
    packaged = _PACKAGE / "_templates"
    return packaged if packaged.is_dir() else _PACKAGE.parent / "templates"


def template_folders(config: Config, newsletter: NewsletterConfig, /) -> tuple[Path, ...]:
    """Folders searched in order; a template found earlier overrides one of the same name."""
    folders = []
    if newsletter.templates:
        own = config.root / newsletter.templates
        if not own.is_dir():
            raise ConfigError(
                _(
                    "{value}: newsletters.{key}.templates: the folder {own} does not exist; "
                    "create it or remove the setting."
                ).format(value=config.path or CONFIG_NAME, key=newsletter.key, own=own)
            )
        folders.append(own)
    folders += [config.root / "templates", default_templates()]
    unique = dict.fromkeys(folder.resolve() for folder in folders if folder.is_dir())
    return tuple(unique)


@cache
def environment(folders: tuple[Path, ...], /) -> Environment:
    """A jinja2 environment producing MJML, autoescaped; cached, reloading changed files."""
    return Environment(
        loader=FileSystemLoader([str(folder) for folder in folders]),
        # Compiled templates are kept in the user's temporary folder: compiling them is
        # most of the time a one-off `newsletter render` takes. Stale ones are recompiled.
        bytecode_cache=FileSystemBytecodeCache(),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
        keep_trailing_newline=True,
    )
