"""Every library the package imports is one pyproject.toml installs for users: a
dependency, or a library a dependency requires (markupsafe for jinja2, anyio for
starlette, pydantic-core for pydantic).

A library that only the test extra happens to bring along (cryptography came with
trustme) works in CI and fails with a traceback after `pip install .`.
"""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imported_top_levels() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "newsletter").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(requirement: str) -> str:
    return _normalized(re.split(r"[\[<>=~!; (]", requirement.strip(), maxsplit=1)[0])


def _installed_for_users(dependencies: list[str]) -> set[str]:
    """The declared distributions and what they require (without extras)."""
    declared = {_name(spec) for spec in dependencies}
    required = {_name(r) for d in declared for r in requires(d) or [] if "extra ==" not in r}
    return declared | required


def test_every_imported_library_is_a_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    declared = _installed_for_users(project["dependencies"])
    distributions = packages_distributions()
    missing = []
    for module, where in _imported_top_levels().items():
        if module == "newsletter" or module in sys.stdlib_module_names:
            continue
        owners = {_normalized(d) for d in distributions.get(module, [])}
        assert owners, f"{where}: {module} is installed by no distribution"
        if not owners & declared:
            missing.append(f"{where}: {module} (from {', '.join(sorted(owners))})")
    assert not missing, "imported but not in [project].dependencies:\n" + "\n".join(missing)
