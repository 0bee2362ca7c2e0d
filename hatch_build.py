"""The build compiles the translations: newsletter/locale/*/LC_MESSAGES/messages.po → .mo.

Run by hatchling for the wheel and the editable install alike (see pyproject.toml), so
`pip install .` and `pip install -e .` both have the catalogs; the .mo files are build
output, ignored by git. `python hatch_build.py` compiles them by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # `python hatch_build.py` by hand, where hatchling is not installed
    BuildHookInterface = object  # type: ignore[assignment,misc]

LOCALE = Path("newsletter") / "locale"


def compile_catalogs(root: Path) -> list[Path]:
    """Write a .mo beside every .po under ROOT/newsletter/locale; return the .mo files."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for source in sorted((root / LOCALE).glob("*/LC_MESSAGES/*.po")):
        with source.open("rb") as file:
            catalog = read_po(file, locale=source.parent.parent.name)
        target = source.with_suffix(".mo")
        with target.open("wb") as file:
            write_mo(file, catalog)  # fuzzy translations are left out, as msgfmt does
        written.append(target)
    return written


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compiles the catalogs and ships the .mo files (ignored by git) in the wheel."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        for path in compile_catalogs(root):
            build_data["artifacts"].append("/" + path.relative_to(root).as_posix())


if __name__ == "__main__":
    for path in compile_catalogs(Path(__file__).parent):
        print(f"Wrote {path}")
