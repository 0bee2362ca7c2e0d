"""The package's layout rule (ARCHITECTURE.md): stages import only earlier stages, no cycles.

The import graph is read from the source with `ast`, so imports inside functions and
under `if TYPE_CHECKING:` count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "newsletter"

# The pipeline, in order. A module may import the shared basics, its own stage, and
# the stages before its own; nothing else. The entry points come last.
STAGES = ("basics", "content", "render", "audience", "review", "delivery", "web", "bounces", "cli")
BASICS = {"newsletter", "newsletter.config", "newsletter.errors", "newsletter.fileio",
          "newsletter.state", "newsletter.urls", "newsletter.values", "newsletter.valuechecks",
          "newsletter.translate"}  # fmt: skip
ENTRY = {"newsletter.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The package's modules that NAME imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1],
                                 *([base] if base else [])])  # fmt: skip
            for alias in node.names:
                # `from newsletter.delivery import journal` imports the module journal.
                if f"{base}.{alias.name}" in known:
                    yield f"{base}.{alias.name}"
                elif base in known:
                    yield base


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(imports(name, path, known)) - {name} for name, path in found.items()}


def stage(module: str) -> int:
    if module in BASICS or module.startswith("newsletter.state."):
        return 0
    if module in ENTRY:
        return len(STAGES)
    return STAGES.index(module.split(".")[1])


def test_every_module_belongs_to_a_stage() -> None:
    strays = []
    for module in modules():
        try:
            stage(module)
        except ValueError:
            strays.append(module)
    assert strays == [], "put these in a stage's folder, or name them in BASICS"


def test_stages_import_only_earlier_stages() -> None:
    wrong = sorted(
        f"{module} ({STAGES[stage(module)] if module not in ENTRY else 'entry'}) imports "
        f"{target} ({STAGES[stage(target)]})"
        for module, targets in graph().items()
        for target in targets
        if stage(target) > stage(module)
    )
    assert wrong == []


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of EDGES as a path that starts and ends at the same module, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(edges.get(node, ())):
            if cycle := visit(target, [*path, node]):
                return cycle
        done.add(node)
        return None

    return next((c for start in sorted(edges) if (c := visit(start, []))), None)


def test_no_import_cycles() -> None:
    assert find_cycle(graph()) is None


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b", "c"}, "b": set(), "c": {"c2"}, "c2": {"c"}}, ["c", "c2", "c"]),
    ],
)
def test_find_cycle_finds_cycles(edges: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(edges) == cycle


def test_a_later_stage_import_would_be_caught(tmp_path: Path) -> None:
    source = "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
    source += "if TYPE_CHECKING:\n    from newsletter.web.app import create_app\n"
    path = tmp_path / "x.py"
    path.write_text(source, encoding="utf-8")
    found = set(imports("newsletter.content.x", path, set(modules())))
    assert found == {"newsletter.web.app"}
    assert stage("newsletter.web.app") > stage("newsletter.content.x")
