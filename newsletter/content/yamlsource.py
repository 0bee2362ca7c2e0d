"""Reading YAML safely while keeping where every key and value came from.

PyYAML's `safe_load` forgets line numbers, silently keeps the last of two equal
keys and expands aliases without limit. Here the file is composed into nodes
(which carry their marks) and turned into plain data step by step, so every
problem can be reported at its line and column.
"""

from __future__ import annotations

__all__ = ["MAX_BYTES", "MAX_VALUES", "YamlPath", "YamlSource", "dotted_path", "parse_yaml"]

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from newsletter.errors import IssueFileError, Location
from newsletter.translate import N_, _

YamlPath = tuple[str | int, ...]

# An issue is a few dozen kilobytes; anything this large is a mistake or an attack.
MAX_BYTES = 1_000_000
# Aliases (*name) may repeat a value, but a "billion laughs" file repeats it 10⁹ times.
MAX_VALUES = 100_000
MAX_DEPTH = 40

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
# YAML 1.1 reads 13:00 as the number 780 and 9.00 as 9.0; editors mean a time of day.
_CLOCK = re.compile(r"\d{1,2}[:.]\d{2}")


class _Loader(yaml.SafeLoader):
    """Composes nodes only; turning them into values is done by _Builder."""


# libyaml composes three times faster; its error messages differ, so on an error the
# file is composed again by the Python parser, whose messages _SYNTAX_HINTS knows.
_FastLoader: type[Any] = getattr(yaml, "CSafeLoader", _Loader)
# libyaml recurses in C without a limit: 50,000 nested `[` crash the process. Flow
# nesting needs one bracket per level, so with few brackets the fast parser is safe.
_FAST_MAX_BRACKETS = 2_000


@dataclass
class YamlSource:
    """Plain data from a YAML file, with the node behind every value and key."""

    name: str
    data: Any = None
    nodes: dict[YamlPath, Node] = field(default_factory=dict)
    key_nodes: dict[YamlPath, Node] = field(default_factory=dict)
    problems: list[Location] = field(default_factory=list)

    def node_at(self, path: YamlPath) -> tuple[YamlPath, Node | None]:
        """The node of PATH or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            if (node := self.nodes.get(path[:end])) is not None:
                return path[:end], node
        return (), None

    def locate(self, node: Node | None, field: str, message: str) -> Location:
        """A Location at NODE's first character (line 1 when there is no node)."""
        if node is None:
            return Location(self.name, 1, 0, field, message)
        mark = node.start_mark
        return Location(self.name, mark.line + 1, mark.column + 1, field, message)


def parse_yaml(text: str, name: str) -> YamlSource:
    """Compose TEXT and build its data; fatal problems raise IssueFileError."""
    source = YamlSource(name)
    root = _compose(text, name)
    if root is None:
        raise IssueFileError(
            [
                Location(
                    name, 1, 0, "", _("the file is empty; `newsletter new` writes a starter issue")
                )
            ]
        )
    _Builder(source).build_root(root)
    return source


def _compose(text: str, name: str) -> Node | None:
    if text.count("[") + text.count("{") <= _FAST_MAX_BRACKETS:
        try:
            return yaml.compose(text, Loader=_FastLoader)
        except yaml.YAMLError:
            pass
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise IssueFileError(_syntax_problems(exc, text, name)) from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        message = _("contains the control character #x{character:04x}; delete it").format(
            character=exc.character
        )
        raise IssueFileError([Location(name, line, column, "", message)]) from None
    except RecursionError:
        message = _("is nested too deeply to be an issue file")
        raise IssueFileError([Location(name, 1, 0, "", message)]) from None


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


# PyYAML's wording, and what an editor should do about it.
_SYNTAX_HINTS = {
    "mapping values are not allowed here": N_(
        "a `:` followed by a space cannot appear inside a value; put the value in quotes"
    ),
    "could not find expected ':'": N_("expected `name: value` here; check the line's indentation"),
    "did not find expected key": N_(
        "this line is not indented like the fields around it; line it up with them"
    ),
    "did not find expected '-' indicator": N_(
        "this line is not lined up with the list items (`- `) above it"
    ),
    "expected a single document in the stream": N_(
        "the file holds more than one document (`---`); keep one issue per file"
    ),
    "found undefined alias": N_("uses an alias (*name) that no anchor (&name) defines"),
    "found unknown escape character": N_(
        'has a backslash that YAML does not understand inside "double quotes"; '
        "use 'single quotes' or write \\\\"
    ),
    "found unexpected ':'": N_("a `:` cannot appear here; put the value in quotes"),
    "but found another document": N_(
        "the file holds more than one document (`---`); keep one issue per file"
    ),
    "expected <block end>": N_(
        "this line is not lined up with the lines above it; check its indentation"
    ),
}


def _syntax_problems(exc: yaml.MarkedYAMLError, text: str, name: str) -> list[Location]:
    problem = exc.problem or ""
    if "'\\t'" in problem and (tabs := _tab_indented_lines(text, name)):
        return tabs
    mark = exc.problem_mark or exc.context_mark
    message: str | None = None
    if (exc.context or "").startswith("while scanning a quoted scalar") and exc.context_mark:
        # Point at the opening quote: where the file ends tells the editor nothing.
        mark, message = exc.context_mark, _("a quote opened here is never closed; close it")
    elif "<stream end>" in problem:
        message = _(
            "the file ends in the middle of a value; close the `[`, `{` or quote still open"
        )
    elif (exc.context or "").startswith("while parsing a flow") and exc.context_mark:
        mark = exc.context_mark
        message = _("a `[` or `{` opened here is not closed; close it, or put the text in quotes")
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 0)
    if message is None:
        hint = next((hint for key, hint in _SYNTAX_HINTS.items() if problem.startswith(key)), None)
        message = _(hint) if hint else _syntax_error(exc, problem, line)
    return [Location(name, line, column, "", message)]


def _syntax_error(exc: yaml.MarkedYAMLError, problem: str, line: int) -> str:
    """PyYAML's own words (English), for the rare error without a hint of ours."""
    if not problem:
        return _("is not valid YAML")
    if problem.startswith(("a ", "the ")):
        return problem
    if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
        return _("YAML syntax error: {problem} ({context} on line {line})").format(
            problem=problem, context=exc.context, line=exc.context_mark.line + 1
        )
    return _("YAML syntax error: {problem}").format(problem=problem)


def _tab_indented_lines(text: str, name: str) -> list[Location]:
    message = _("is indented with a tab; YAML needs spaces, so replace the tab with spaces")
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(Location(name, number, indent.index("\t") + 1, "", message))
    return problems


class _Builder:
    """Turns nodes into dicts, lists and scalars, recording nodes and problems."""

    def __init__(self, source: YamlSource) -> None:
        self.source = source
        self.count = 0
        self.active: set[int] = set()
        self.constructor = SafeConstructor()

    def build_root(self, root: Node) -> None:
        if not isinstance(root, MappingNode):
            what = _("a list") if isinstance(root, SequenceNode) else _("a single value")
            raise IssueFileError(
                [
                    self.source.locate(
                        root,
                        "",
                        _(
                            "the file holds {what}; an issue file is a set of fields "
                            "(`newsletter:`, `title:`, `sections:`, ...), one per line"
                        ).format(what=what),
                    )
                ]
            )
        self.source.data = self.build(root, ())

    def build(self, node: Node, path: YamlPath) -> Any:
        self._count(node, path)
        self.source.nodes[path] = node
        if not self._tag_allowed(node, path):
            return None
        if id(node) in self.active:
            self._problem(node, path, "an alias (*name) refers to the value that contains it")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, ScalarNode)
            return self._scalar(node)
        finally:
            self.active.discard(id(node))

    def _count(self, node: Node, path: YamlPath) -> None:
        self.count += 1
        if self.count > MAX_VALUES:
            message = _(
                "aliases (*name) expand the file to more than {limit:,} values (a 'billion "
                "laughs' file?); write the values out instead"
            ).format(limit=MAX_VALUES)
            raise IssueFileError([self.source.locate(node, "", message)])
        if len(path) > MAX_DEPTH:
            message = _("is nested too deeply to be an issue file")
            raise IssueFileError([self.source.locate(node, dotted_path(path), message)])

    def _tag_allowed(self, node: Node, path: YamlPath) -> bool:
        allowed: dict[type[Node], set[str]] = {
            MappingNode: {f"{_TAG}map"},
            SequenceNode: {f"{_TAG}seq"},
        }
        if node.tag in allowed.get(type(node), _SCALAR_TAGS):
            return True
        tag = node.tag.replace(_TAG, "!!")
        message = _("the tag `{tag}` is not allowed in an issue file; remove it").format(tag=tag)
        self._problem(node, path, message)
        return False

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            if key in first_line:
                message = _("`{key}` is given twice, on lines {first} and {line}; keep one").format(
                    key=key, first=first_line[key], line=line
                )
                self._problem(key_node, (*path, key), message)
                continue
            first_line[key] = line
            self.source.key_nodes[(*path, key)] = key_node
            result[key] = self.build(value_node, (*path, key))
        return result

    def _key(self, node: Node, path: YamlPath) -> str | None:
        if node.tag == f"{_TAG}merge":
            self._problem(
                node, path, _("merge keys (`<<`) are not supported; write the fields out")
            )
            return None
        if not isinstance(node, ScalarNode) or not node.value:
            self._problem(node, path, _("a field name must be a plain word followed by `:`"))
            return None
        return str(node.value)

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == f"{_TAG}str" or (not node.style and _CLOCK.fullmatch(node.value)):
            return node.value
        try:
            return self.constructor.yaml_constructors[node.tag](self.constructor, node)
        except ValueError:
            # An impossible date such as 2021-02-30: the model says what is wrong with it.
            return node.value

    def _problem(self, node: Node, path: YamlPath, message: str) -> None:
        self.source.problems.append(self.source.locate(node, dotted_path(path), message))


def dotted_path(path: YamlPath) -> str:
    """sections[2].items[0].cost: the editor's name for a place in the file."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")
