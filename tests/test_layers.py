"""The layers of ``clinicctl/`` point one way: commands and the demo over the runtime, the
runtime over the domain packages, those over the rules (``access``) and the audit chain
(``trail``), those over the store. Every import counts, the ones inside functions too; and
no two modules import each other, directly or round a loop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "clinicctl"

# Lower numbers are further down. A module may import its own layer or any below it.
LAYERS = {
    "clinicctl": 0, "clinicctl.errors": 0, "clinicctl.schema": 0, "clinicctl.config": 0,
    "clinicctl.choices": 0,
    "clinicctl.output": 0, "clinicctl.progress": 0,
    "clinicctl.models": 1,
    "clinicctl.db": 2, "clinicctl.migrate": 2, "clinicctl.migrations": 2,
    "clinicctl.days": 3, "clinicctl.actions": 3, "clinicctl.trail": 3, "clinicctl.relations": 3,
    "clinicctl.access": 4,
    "clinicctl.people": 5, "clinicctl.charts": 5, "clinicctl.scheduling": 5,
    "clinicctl.exchange": 5, "clinicctl.oversight": 5,
    "clinicctl.runtime": 6,
    "clinicctl.demo": 7, "clinicctl.commands": 7,
    "clinicctl.cli": 8, "clinicctl.console": 8, "clinicctl.__main__": 8,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    raise AssertionError(f"{module} has no layer: add it to LAYERS")


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The clinicctl modules ``path`` imports, anywhere in it (``from x import y`` counts as
    ``x.y`` when that is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in modules}


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path, set(MODULES)) - {name} for name, path in MODULES.items()}


def test_every_module_has_a_layer():
    for name in MODULES:
        layer_of(name)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    upward = sorted(target for target in GRAPH[module]
                    if layer_of(target) > layer_of(module)
                    and not module.startswith(target + "."))  # a package's own __init__
    assert upward == [], f"{module} imports from above its layer: {upward}"


def test_command_modules_do_not_import_each_other():
    for module, targets in GRAPH.items():
        if module.startswith("clinicctl.commands."):
            siblings = sorted(t for t in targets if t.startswith("clinicctl.commands.")
                              and not t.rsplit(".", 1)[1].startswith("_"))
            assert siblings == [], f"{module} imports {siblings}"


def test_no_import_cycle():
    """Depth-first search over every import; a back edge is a cycle, reported as its loop."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if module.startswith(target + "."):
                continue  # importing a name from one's own package's __init__
            if state.get(target) == 1:
                loop = path[path.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(loop))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_layer_check_sees_a_violation():
    """The check itself can fail: a model importing a command would be caught."""
    assert layer_of("clinicctl.commands.client") > layer_of("clinicctl.models")
    assert "clinicctl.people.refs" in GRAPH["clinicctl.runtime"]
