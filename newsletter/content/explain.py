"""Pydantic's validation errors in an editor's words, at their place in the file."""

from __future__ import annotations

__all__ = ["explain", "fields_at"]

import datetime as dt
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from newsletter.content.hints import cost_hint, date_hint, time_hint
from newsletter.content.model import KINDS, EventItem, Issue
from newsletter.content.suggest import did_you_mean, suggestion
from newsletter.content.yamlsource import YamlPath, YamlSource, dotted_path
from newsletter.errors import Location
from newsletter.translate import N_, _

_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def explain(exc: ValidationError, source: YamlSource) -> list[Location]:
    """One located, plain-words problem per validation error."""
    errors = exc.errors(include_url=False)
    meant = _meant_fields(errors, source)
    year = _issue_year(source.data)
    return [
        _locate(error, source, year)
        for error in errors
        if not (error["type"] == "missing" and _data_path(error["loc"], source.data) in meant)
    ]


def _issue_year(data: Any) -> int:
    """The year the issue is of (its `year:`, its `date:`), for dates written without one."""
    if isinstance(data, dict):
        if isinstance(year := data.get("year"), int) and 1900 <= year <= 2200:
            return year
        if isinstance(date := data.get("date"), dt.date):
            return date.year
    return dt.date.today().year


def _meant_fields(errors: list[ErrorDetails], source: YamlSource) -> set[YamlPath]:
    # `titel:` is reported with "did you mean `title`?"; "`title` is missing" would repeat it.
    meant = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            path = _data_path(error["loc"], source.data)
            if best := did_you_mean(str(path[-1]), fields_at(path[:-1], source.data)):
                meant.add((*path[:-1], best))
    return meant


def _locate(error: ErrorDetails, source: YamlSource, year: int) -> Location:
    path = _data_path(error["loc"], source.data)
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(path, source)
    if kind == "missing":
        _found, parent = source.node_at(path[:-1])
        message = _("is required but missing; add a line `{field}: ...`").format(field=path[-1])
        return source.locate(parent, dotted_path(path), message)
    if kind == "field_problem":
        path = (*path, error["ctx"]["field"])
    if kind.startswith("union_tag") and (*path, "kind") in source.nodes:
        path = (*path, "kind")
    _found, node = source.node_at(path)
    message = _hint(kind, path, node, year) or _message(error, path, node)
    return source.locate(node, dotted_path(path), message)


def _hint(kind: str, path: YamlPath, node: Node | None, year: int) -> str | None:
    """The line to write, for what Swedish editors type (content.hints)."""
    raw = node.value if isinstance(node, ScalarNode) else None
    field = str(path[-1]) if path else ""
    if raw is None:
        return None
    if kind.startswith("time") or kind.startswith("clock"):
        return time_hint(raw, field)
    if kind.startswith("date") and not _ISO_DATE.fullmatch(raw):
        return date_hint(raw, field, year)
    if field == "cost" and kind in _NOT_A_GROUP:
        return cost_hint(raw)
    return None


_NOT_A_GROUP = {"model_type", "model_attributes_type", "dict_type", "value_error"}


def _data_path(loc: tuple[str | int, ...], data: Any) -> YamlPath:
    """LOC without the discriminator tags pydantic adds (`items.0.webcast.cost`)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if path and isinstance(path[-1], int) and _is_tag(part, current):
            continue
        path.append(part)
        if isinstance(part, int) and isinstance(current, list) and 0 <= part < len(current):
            current = current[part]
        elif isinstance(part, str) and isinstance(current, dict):
            current = current.get(part)
        else:
            current = None
    return tuple(path)


def _is_tag(part: str | int, item: Any) -> bool:
    return isinstance(item, dict) and part in KINDS and item.get("kind", "article") == part


def _unknown_key(path: YamlPath, source: YamlSource) -> Location:
    node = source.key_nodes.get(path) or source.node_at(path)[1]
    known = fields_at(path[:-1], source.data)
    if path[-1] in EventItem.model_fields and "kind" in known:
        message = _(
            "`{field}` is a detail of events; give this item a `kind:` (webcast, webinar, "
            "course or event)"
        ).format(field=path[-1])
    else:
        message = _("`{field}` is not a field here; {suggestion}").format(
            field=path[-1], suggestion=suggestion(str(path[-1]), known)
        )
    return source.locate(node, dotted_path(path), message)


def fields_at(path: YamlPath, data: Any) -> list[str]:
    """The field names the model allows at PATH (a mapping in the file)."""
    model: type[BaseModel] | None = Issue
    choices: list[type[BaseModel]] = [Issue]
    current = data
    for part in path:
        if isinstance(part, int):
            current = current[part] if isinstance(current, list) and part < len(current) else None
            continue
        model = _pick(choices, current)
        field = model.model_fields.get(part) if model else None
        if field is None:
            return []
        choices = _models_in(field.annotation)
        current = current.get(part) if isinstance(current, dict) else None
    model = _pick(choices, current)
    return list(model.model_fields) if model else []


def _pick(choices: list[type[BaseModel]], data: Any) -> type[BaseModel] | None:
    if len(choices) <= 1:
        return choices[0] if choices else None
    kind = data.get("kind", "article") if isinstance(data, dict) else "article"
    return KINDS.get(kind) if isinstance(kind, str) else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return []
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _message(error: ErrorDetails, path: YamlPath, node: Node | None) -> str:
    raw = node.value if isinstance(node, ScalarNode) else None
    got = _("(got `{value}`)").format(value=raw) if raw else _shape(node)
    got = f" {got}" if got else ""
    ctx = error.get("ctx", {})
    kind = error["type"]
    if kind.startswith("union_tag"):
        return _kind_message(ctx.get("tag"), node, on_kind=path[-1:] == ("kind",))
    if node is not None and node.tag.endswith(":null"):
        return _("is empty; write a value here")
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return _("`{value}` is not allowed here; {suggestion}").format(
            value=raw, suggestion=suggestion(str(raw), allowed)
        )
    if kind.startswith("date"):
        return _date_message(kind, raw, got)
    if kind == "too_short":
        if path and path[-1] == "items":
            return _("needs at least one item")
        return _("needs at least one entry")
    if template := _MESSAGES.get(kind):
        return _(template).format(got=got, **ctx)
    message = error["msg"].removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _kind_message(tag: str | None, node: Node | None, *, on_kind: bool) -> str:
    if tag is not None:
        return _("`{tag}` is not a kind of item; {suggestion}").format(
            tag=tag, suggestion=suggestion(tag, KINDS)
        )
    if on_kind:
        kinds = ", ".join(f"`{k}`" for k in KINDS)
        return _("`kind` should be one word: {kinds}").format(kinds=kinds)
    if isinstance(node, ScalarNode) and not node.value:
        return _("is an empty entry; write the item's fields below its `- ` or delete the line")
    got = _("(got `{value}`)").format(value=node.value) if isinstance(node, ScalarNode) else ""
    got = got or _shape(node)
    return _(
        "an item should be a group of fields (`title:`, `body:`, ...) below its `- `{got}"
    ).format(got=f" {got}" if got else "")


def _shape(node: Node | None) -> str:
    if isinstance(node, MappingNode):
        return _("(got a group of fields)")
    if isinstance(node, SequenceNode):
        return _("(got a list)")
    return ""


def _date_message(kind: str, raw: str | None, got: str) -> str:
    if kind == "date_from_datetime_inexact":
        return _("should be a date without a time{got}; times go in a session's `start:`").format(
            got=got
        )
    if raw and _ISO_DATE.fullmatch(raw):
        return _("there is no such date as {value}; check the month and the day").format(value=raw)
    return _("should be a date written YYYY-MM-DD, e.g. 2021-06-09{got}").format(got=got)


_MESSAGES = {
    "string_type": N_("should be text{got}; put it in quotes if it is meant as text"),
    "string_too_short": N_("is empty; write the text or delete the line"),
    "string_too_long": N_("is too long: at most {max_length} characters"),
    "too_long": N_("is too long: at most {max_length} characters"),
    "int_type": N_("should be a whole number{got}"),
    "int_parsing": N_("should be a whole number{got}"),
    "int_from_float": N_("should be a whole number{got}"),
    "bool_type": N_("should be true or false{got}"),
    "bool_parsing": N_("should be true or false{got}"),
    "time_type": N_("should be a time written HH:MM, e.g. 13:00{got}"),
    "time_parsing": N_("should be a time written HH:MM, e.g. 13:00{got}"),
    "decimal_type": N_("should be a number, e.g. 2500{got}"),
    "decimal_parsing": N_("should be a number, e.g. 2500{got}"),
    "decimal_max_places": N_("has more than {decimal_places} decimals{got}"),
    "decimal_max_digits": N_("is too large{got}"),
    "greater_than_equal": N_("should be at least {ge}{got}"),
    "less_than_equal": N_("should be at most {le}{got}"),
    "list_type": N_("should be a list, one `- ` line per entry{got}"),
    "model_type": N_("should be a group of fields (`name: value` lines indented below it){got}"),
    "model_attributes_type": N_(
        "should be a group of fields (`name: value` lines indented below it){got}"
    ),
    "dict_type": N_("should be a group of fields (`name: value` lines indented below it){got}"),
    "field_problem": "{message}",
    "clock_format": N_("write the time as HH:MM, e.g. 13:00{got}"),
    "clock_range": N_("there is no time {value}"),
}
