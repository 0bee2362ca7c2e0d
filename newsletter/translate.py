"""The editor's language: Swedish under a Swedish locale, English otherwise.

Messages are written in English in the code, as whole sentences with named placeholders
(`_("{path}: cannot read it.").format(path=path)`), never glued from pieces, and looked
up in the gettext catalogs of newsletter/locale/ (extracted and updated with Babel,
compiled to .mo by the build: see docs/translating.md). Texts kept in module constants
are marked with N_() and translated where they are used.

The language is picked once, from the environment as POSIX orders it: LC_ALL, then
LC_MESSAGES, then LANG; `sv`, `sv_SE.UTF-8`, `sv_FI` are Swedish. What subscribers read
(the issue, the web pages) follows the issue's language instead (render/i18n).
"""

from __future__ import annotations

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "language",
    "language_of",
    "ngettext",
    "use",
]

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

LANGUAGES = ("en", "sv")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_chosen: tuple[str, gettext.NullTranslations] | None = None


def language_of(environ: Mapping[str, str], /) -> str:
    """The language ENVIRON's locale asks for: "sv" or "en"."""
    for name in _VARIABLES:
        if value := environ.get(name, ""):
            # The first set variable decides, as in setlocale(3): LC_ALL=C means English.
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return "sv" if code == "sv" else "en"
    return "en"


def use(chosen: str | None = None, /) -> None:
    """Speak CHOSEN from now on; None picks again from the environment (tests switch)."""
    global _chosen
    code = chosen or language_of(os.environ)
    _chosen = (code, _catalog(code))


def language() -> str:
    """The language messages are shown in: "sv" or "en"."""
    return _current()[0]


def _(message: str, /) -> str:
    """MESSAGE in the editor's language."""
    return _current()[1].gettext(message)


def ngettext(singular: str, plural: str, n: int, /) -> str:
    """SINGULAR or PLURAL, as N asks for, in the editor's language."""
    return _current()[1].ngettext(singular, plural, n)


def N_(message: str, /) -> str:
    """Marks MESSAGE for translation where it is defined; _() translates it where used."""
    return message


def _current() -> tuple[str, gettext.NullTranslations]:
    if _chosen is None:
        use()
    assert _chosen is not None
    return _chosen


def _catalog(code: str) -> gettext.NullTranslations:
    if code == "en":
        return gettext.NullTranslations()
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    compiled, source = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if source.exists() and (not compiled.exists() or _older(compiled, source)):
        # A source checkout whose .po changed after the build compiled it (a `git pull` in an
        # editable install): read the .po itself, or the new messages would stay in English.
        return _from_po(source)
    try:
        with compiled.open("rb") as file:
            return gettext.GNUTranslations(file)
    except OSError:
        return gettext.NullTranslations()


def _older(compiled: Path, source: Path) -> bool:
    return compiled.stat().st_mtime_ns < source.stat().st_mtime_ns


def _from_po(source: Path) -> gettext.NullTranslations:
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as file:
        catalog = read_po(file)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
