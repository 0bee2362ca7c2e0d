"""Loading an issue file: YAML in, a validated Issue out, or every problem at its line.

The steps: read the bytes (size cap, UTF-8), compose the YAML keeping positions
(yamlsource), validate against the model, explain each error at its place
(explain), check the newsletter against newsletter.toml, and fill in what the
newsletter provides.

With a config, the returned issue is complete: `editor` is the newsletter's editor
block when the file has none (see model.effective_editor) and `language` is the
newsletter's when the file does not set one. Without a config both keep the
model's defaults.
"""

from __future__ import annotations

__all__ = ["MAX_BYTES", "load_issue", "load_issue_text", "read_issue_text"]

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from newsletter.config import CONFIG_NAME, Config
from newsletter.content.explain import explain
from newsletter.content.model import Issue, effective_editor
from newsletter.content.suggest import suggestion
from newsletter.content.yamlsource import MAX_BYTES, YamlSource, parse_yaml
from newsletter.errors import IssueFileError, Location
from newsletter.fileio import UnreadableFile, read_regular
from newsletter.translate import N_, _


def load_issue(path: Path, /, *, config: Config | None = None) -> Issue:
    """Load and validate the issue file PATH; IssueFileError lists every problem."""
    return load_issue_text(read_issue_text(path), str(path), config=config)


def load_issue_text(text: str, name: str, /, *, config: Config | None = None) -> Issue:
    """Validate issue TEXT (e.g. an editor's unsaved buffer); NAME is used in messages."""
    _check_size(len(text.encode("utf-8", "surrogatepass")), name)
    source = parse_yaml(text, name)
    issue, problems = _validate(source)
    problems += source.problems + _newsletter_problems(source, config)
    if problems or issue is None:
        raise IssueFileError(_in_order(problems))
    return _with_newsletter_defaults(issue, config)


def read_issue_text(path: Path) -> str:
    """The text of PATH, refusing files that are too large or not UTF-8."""
    name = str(path)
    try:
        # Regular files only, the cap enforced while reading: /dev/zero, a FIFO, a
        # device given as an issue file must neither exhaust memory nor hang.
        data = read_regular(path, limit=MAX_BYTES, what=N_("an issue file"))
    except UnreadableFile as exc:
        if exc.too_large:
            _check_size(max(path.stat().st_size, MAX_BYTES + 1), name)
        raise IssueFileError([Location(name, 0, 0, "", exc.reason)]) from None
    return _decode(data, name)


def _check_size(size: int, name: str) -> None:
    if size > MAX_BYTES:
        message = _(
            "the file is {size:,} bytes; an issue file can be at most {limit:,} (put images on "
            "a web server and link to them)"
        ).format(size=size, limit=MAX_BYTES)
        raise IssueFileError([Location(name, 1, 0, "", message)])


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        message = _("is saved as UTF-16; save it as UTF-8")
        raise IssueFileError([Location(name, 1, 0, "", message)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = _(
            "is not UTF-8 text (byte 0x{byte:02X} here); save the file as UTF-8 (in most "
            "editors: Save with encoding, UTF-8)"
        ).format(byte=data[exc.start])
        raise IssueFileError([Location(name, line, column, "", message)]) from None


def _validate(source: YamlSource) -> tuple[Issue | None, list[Location]]:
    try:
        return Issue.model_validate(source.data), []
    except ValidationError as exc:
        problems = explain(exc, source)
    # A value already reported (a duplicate key, a refused tag) is not reported again.
    reported = {problem.field for problem in source.problems}
    return None, [p for p in problems if not _under(p.field, reported)]


def _under(field: str, reported: set[str]) -> bool:
    return any(field == done or field.startswith((f"{done}.", f"{done}[")) for done in reported)


def _newsletter_problems(source: YamlSource, config: Config | None) -> list[Location]:
    key = source.data.get("newsletter") if isinstance(source.data, dict) else None
    if config is None or not isinstance(key, str) or key in config.newsletters:
        return []
    where = config.path or CONFIG_NAME
    if config.newsletters:
        hint = suggestion(key, sorted(config.newsletters))
        message = _("there is no newsletter `{key}` in {where}; {hint}").format(
            key=key, where=where, hint=hint
        )
    else:
        message = _(
            "no newsletters are configured in {where}; add a [newsletters.{key}] section"
        ).format(where=where, key=key)
    _found, node = source.node_at(("newsletter",))
    return [source.locate(node, "newsletter", message)]


def _with_newsletter_defaults(issue: Issue, config: Config | None) -> Issue:
    if config is None or issue.newsletter not in config.newsletters:
        return issue
    newsletter = config.newsletters[issue.newsletter]
    update: dict[str, Any] = {"editor": effective_editor(issue, newsletter)}
    if "language" not in issue.model_fields_set:
        update["language"] = newsletter.language
    return issue.model_copy(update=update)


def _in_order(problems: list[Location]) -> list[Location]:
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.line, p.column))
