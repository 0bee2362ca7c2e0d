"""The commands' help in the editor's language, and the Babel extractor that finds it.

The help is written in English where click expects it (the command's docstring, each
option's `help=`), and translated when a command is looked up: `translate()` swaps in
the catalog's text, keeping the English to start from each time. `extract()` is the
Babel extractor for the command modules (babel.cfg): the `_()` calls as usual, plus the
docstrings of click commands and the help of their options, cleaned as click cleans them.

Click's own words ("Usage:", "Options", "Error: ...") come from gettext's default
domain, `messages`, which newsletter.translate binds to our catalog; those that reach
editors are listed below so that extraction keeps them in the catalog.
"""

from __future__ import annotations

__all__ = ["CLICK_WORDS", "extract", "translate"]

import ast
import inspect
from collections.abc import Collection, Iterator
from typing import IO, Any

import click

from newsletter.translate import N_, _

_ENGLISH = "_newsletter_english"

# Click's messages (click/core.py, exceptions.py, types.py) that editors meet.
CLICK_WORDS = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Aborted!"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter: {param_name}"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("default: {default}"),
    N_("required"),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid {number_type}."),
    N_("Choose from:\n\t{choices}"),
)


def translate(command: click.Command, /) -> None:
    """Put COMMAND's help (and its subcommands' and options') in the editor's language."""
    english: dict[str, Any] = command.__dict__.setdefault(
        _ENGLISH, {"help": command.help, "short_help": command.short_help}
    )
    command.help = _text(english["help"])
    command.short_help = _text(english["short_help"])
    for param in command.params:
        if isinstance(param, click.Option):
            original = param.__dict__.setdefault(_ENGLISH, param.help)
            param.help = _text(original)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            translate(sub)


def _text(english: str | None) -> str | None:
    return _(inspect.cleandoc(english)) if english else english


def extract(
    fileobj: IO[bytes],
    keywords: dict[str, Any],
    comment_tags: Collection[str],
    options: Any,
) -> Iterator[tuple[Any, ...]]:
    """Babel's extractor for command modules: _() calls, then the help texts of commands."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(map(_is_command, node.decorator_list)):
            docstring = ast.get_docstring(node)  # cleaned as click cleans it
            yield from [(node.lineno, None, docstring, [])] if docstring else []
        if isinstance(node, ast.Call) and _called(node) in {"option", "version_option"}:
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "help" and isinstance(value, ast.Constant):
                    yield node.lineno, None, inspect.cleandoc(str(value.value)), []


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_command(decorator: ast.expr) -> bool:
    return isinstance(decorator, ast.Call) and _called(decorator) in {"command", "group"}
