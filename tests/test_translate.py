"""The editor's language: Swedish under a Swedish locale, English otherwise, and a Swedish
translation for every message in the code (extracted with Babel, compared with the catalog)."""

from __future__ import annotations

import gettext
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from projects import ROOT

from newsletter import translate
from newsletter.translate import _, language_of, ngettext

LOCALE = ROOT / "newsletter" / "locale"
PO = LOCALE / "sv" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extracted() -> dict[str, tuple[str, ...]]:
    """Every message of the code as Babel extracts it (babel.cfg): msgid -> all its forms."""
    with (ROOT / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        forms = message if isinstance(message, tuple) else (message,)
        found[forms[0]] = tuple(forms)
    return found


def catalog(path: Path) -> dict[str, object]:
    with path.open("rb") as file:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(file) if m.id}


def translated(entry: object) -> bool:
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)  # type: ignore[attr-defined]
    return "fuzzy" not in entry.flags and all(strings)  # type: ignore[attr-defined]


def fields(text: str) -> set[str] | None:
    """The named placeholders of TEXT; None when TEXT is no format string (a lone `{`)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return None


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({"LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv_FI.UTF-8"}, "sv"),
        ({"LANG": "sv"}, "sv"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        # POSIX order: LC_ALL before LC_MESSAGES before LANG.
        ({"LANG": "sv_SE.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "sv_SE.UTF-8"}, "sv"),
        ({"LC_MESSAGES": "en_US.UTF-8", "LC_ALL": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv_SE@euro"}, "sv"),
    ],
)
def test_the_locale_picks_the_language(environ: dict[str, str], expected: str) -> None:
    assert language_of(environ) == expected


def test_every_message_in_the_code_has_a_swedish_translation() -> None:
    messages, swedish = extracted(), catalog(PO)
    assert len(messages) > 500, "the extraction found too little: is babel.cfg right?"
    missing = [msgid for msgid in messages if msgid not in swedish]
    untranslated = [
        msgid for msgid, entry in swedish.items() if msgid in messages and not translated(entry)
    ]
    assert missing == [], "not in the catalog: run the update in docs/translating.md"
    assert untranslated == [], "without a Swedish translation in messages.po"


def test_the_template_holds_exactly_the_messages_of_the_code() -> None:
    assert set(catalog(LOCALE / "messages.pot")) == set(extracted())


def test_translations_use_only_the_placeholders_of_their_message() -> None:
    wrong = []
    for msgid, entry in catalog(PO).items():
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)  # type: ignore[attr-defined]
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)  # type: ignore[attr-defined]
        if any(fields(i) is None for i in ids):
            # Shown as it is, never formatted: the braces must stay as they are.
            wrong += [(msgid, s) for s in strings if s.count("{") != msgid.count("{")]
            continue
        allowed = set().union(*(fields(i) or set() for i in ids))
        wrong += [(msgid, s) for s in strings if not (fields(s) or set()) <= allowed]
    assert wrong == []


def test_the_help_keeps_the_lines_click_must_not_rewrap() -> None:
    # \b before a paragraph keeps click from rewrapping it (the examples).
    for msgid, entry in catalog(PO).items():
        if isinstance(entry.string, str):  # type: ignore[attr-defined]
            assert msgid.count("\b") == entry.string.count("\b"), msgid  # type: ignore[attr-defined]


def test_the_build_compiled_the_catalog() -> None:
    # hatch_build.py runs in `pip install` (the editable one too); a .po changed since
    # is read directly by newsletter.translate, but the compiled one must exist and agree.
    assert MO.is_file(), "run: .venv/bin/python hatch_build.py (or pip install -e .)"
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for msgid, entry in catalog(PO).items():
        if isinstance(entry.string, str):  # type: ignore[attr-defined]
            assert compiled.gettext(msgid) == entry.string  # type: ignore[attr-defined]


def test_swedish_messages_at_runtime(swedish: None) -> None:
    assert translate.language() == "sv"
    assert _("Usage:") == "Användning:"
    assert ngettext("{n} duplicate merged", "{n} duplicates merged", 1).format(n=1) == (
        "1 dubblett sammanslagen"
    )
    assert ngettext("{n} duplicate merged", "{n} duplicates merged", 3).format(n=3) == (
        "3 dubbletter sammanslagna"
    )
    assert _("a message no catalog has") == "a message no catalog has"


def test_english_messages_at_runtime() -> None:
    assert translate.language() == "en"
    assert _("Usage:") == "Usage:"
    assert ngettext("{n} duplicate merged", "{n} duplicates merged", 1).format(n=1) == (
        "1 duplicate merged"
    )


def test_a_changed_po_is_read_even_before_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "sv" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    text = PO.read_text(encoding="utf-8").replace(
        'msgstr "Användning:"', 'msgstr "Användning (ny):"'
    )
    (folder / "messages.po").write_text(text, encoding="utf-8")
    monkeypatch.setattr(translate, "LOCALE_DIR", tmp_path)
    translate.use("sv")
    assert _("Usage:") == "Användning (ny):"


def test_click_speaks_swedish_too() -> None:
    # Click's own words come from gettext's default domain, which the CLI binds to ours.
    result = subprocess.run(
        [sys.executable, "-m", "newsletter", "sned"],
        capture_output=True,
        text=True,
        env={"LANG": "sv_SE.UTF-8", "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "Användning: python -m newsletter" in result.stderr
    assert re.search(r"Fel: Det finns inget kommando som heter 'sned'", result.stderr)


def test_no_message_hides_inside_an_f_string() -> None:
    # Babel does not look inside f-strings: a message there would never be translated.
    import ast

    hidden = []
    for path in sorted((ROOT / "newsletter").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FormattedValue):
                for inner in ast.walk(node.value):
                    if _is_message_call(inner):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert hidden == []


def _is_message_call(node: object) -> bool:
    import ast

    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"_", "ngettext", "N_"}
        and any(isinstance(arg, ast.Constant) for arg in node.args)
    )
