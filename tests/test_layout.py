"""The house's layout: folders by pipeline stage, imports pointing down, no module too long.

Read from the source with ``ast`` (every import, those under ``TYPE_CHECKING`` too), never by
importing: a layer that reaches up, a circle between modules, or a module past 300 lines fails
here before a reviewer has to notice it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
GROUND = "ground"  # model, errors, wording, files, logs: values and words every floor uses

# What each floor may import besides itself; the ground floor imports only itself.
# The emulator is a separate service and imports nothing of the reconciler.
MAY_IMPORT: dict[str, set[str]] = {
    GROUND: set(),
    "desired": {GROUND},
    "planning": {GROUND, "desired"},
    "checks": {GROUND, "desired", "planning"},
    "live": {GROUND, "desired", "planning", "checks", "emulator"},
    "applying": {GROUND, "desired", "planning", "checks", "live"},
    "render": {GROUND, "desired", "planning", "checks"},
    "interop": {GROUND, "desired", "planning", "checks", "live", "applying", "render"},
    "running": {GROUND, "desired", "planning", "checks", "live", "applying", "render"},
    "cli": {
        GROUND,
        *("desired", "planning", "checks", "live", "applying"),
        *("render", "interop", "running", "emulator"),
    },
    "emulator": set(),
}
LONGEST_MODULE = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor_of(module: str) -> str:
    if module == "reconciler.__main__":  # python -m reconciler: the command line's front door
        return "cli"
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
        return parts[1]
    return GROUND


def imported(path: Path) -> Iterator[str]:
    """Every ``reconciler`` module the file imports, absolute or relative, at any depth."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("reconciler"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            if not base.startswith("reconciler"):
                continue
            # from a package import a module: the edge goes to that module, not the package
            modules = [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
            yield from modules
            if len(modules) < len(node.names):
                yield base


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def graph() -> dict[str, set[str]]:
    return {module_name(p): set(imported(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_floor_imports_only_the_floors_below_it() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if target != "reconciler"
        and floor_of(target) != floor_of(module)
        and floor_of(target) not in MAY_IMPORT[floor_of(module)]
    ]
    assert upward == []


def test_every_floor_is_a_known_one() -> None:
    assert {floor_of(module) for module in graph()} <= set(MAY_IMPORT)


def test_no_floor_depends_on_one_that_depends_on_it() -> None:
    for floor, allowed in MAY_IMPORT.items():
        for other in allowed:
            assert floor not in MAY_IMPORT[other], f"{floor} and {other} may import each other"


def test_no_module_imports_itself_round_a_circle() -> None:
    edges = {m: {t for t in ts if t != m and t != "reconciler"} for m, ts in graph().items()}
    circles = []

    def visit(module: str, path: list[str], done: set[str]) -> None:
        for target in sorted(edges.get(module, ())):
            if target in path:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in done:
                visit(target, [*path, target], done)
        done.add(module)

    done: set[str] = set()
    for module in sorted(edges):
        if module not in done:
            visit(module, [module], done)
    assert circles == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=module_name)
def test_no_module_is_longer_than_300_lines(path: Path) -> None:
    lines = len(path.read_text("utf-8").splitlines())
    assert lines <= LONGEST_MODULE, f"{module_name(path)} has {lines} lines"


def test_every_folder_says_what_it_owns_and_what_it_may_import() -> None:
    for folder in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text("utf-8")))
        assert docstring, f"{folder.name}/__init__.py has no docstring"
        if folder.name in MAY_IMPORT and MAY_IMPORT[folder.name] - {"emulator"}:
            assert "May import" in docstring, f"{folder.name}/__init__.py"
