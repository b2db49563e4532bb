"""Imports go one way. Every ``import`` statement in archcost, at module level or inside a function, is an edge; the
check looks for cycles among a group of modules.

zoo/ and blocks/: the blocks (torch code) read the zoo's config dataclasses; the zoo never imports the blocks. A zoo
builder names the class it builds as a string, ``"archcost.blocks.resnet:ResNet"``, resolved by
:func:`archcost.zoo.registry.load` at build time: the one documented lazy reference, which keeps ``archcost list``
torch-free without a cycle.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import archcost

PACKAGE_DIR = Path(archcost.__file__).parent
LAZY_REFERENCE = re.compile(r"""["'](archcost\.blocks\.[a-z_.]+):([A-Za-z_][A-Za-z0-9_]*)["']""")


def module_files() -> dict[str, Path]:
    """Every module of archcost by dotted name (a package is its ``__init__``)."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(node: ast.AST, module: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from the module's own package upwards
        anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
        base = ".".join([*anchor, base] if base else anchor)
    # ``from archcost.zoo import registry`` imports the submodule when there is one, else names of the package.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def import_graph(*, skip: Callable[[ast.AST], set[int]] | None = None,
                 leave_out: tuple[str, ...] = ()) -> dict[str, set[str]]:
    """module -> the archcost modules it imports anywhere in its source (function-level imports included); ``skip``
    gives the ids of import nodes of a tree to ignore, ``leave_out`` modules never counted as targets."""
    files = module_files()
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        hidden = skip(tree) if skip is not None else set()
        targets = {t for node in ast.walk(tree) if id(node) not in hidden
                   for t in _imported(node, module, path.name == "__init__.py", known)}
        graph[module] = {t for t in targets if t in known and t != module and t not in leave_out}
    return graph


def cycles_among(graph: dict[str, set[str]], prefixes: tuple[str, ...]) -> list[list[str]]:
    """The strongly connected components of more than one module among the modules under ``prefixes`` (Tarjan)."""
    nodes = sorted(m for m in graph if m.startswith(prefixes))
    edges = {m: sorted(t for t in graph[m] if t.startswith(prefixes)) for m in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return components


ZOO, BLOCKS = "archcost.zoo", "archcost.blocks"


def check_zoo_blocks_imports() -> list[str]:
    """Every problem with the zoo/blocks import rule, as lines (empty: the rule holds)."""
    graph = import_graph()
    problems = [f"cycle: {' <-> '.join(c)}" for c in cycles_among(graph, (ZOO, BLOCKS))]
    problems += [f"{module} imports {target}: the zoo names blocks lazily ('{BLOCKS}.x:Name'), never imports them"
                 for module, targets in sorted(graph.items()) if module.startswith(ZOO)
                 for target in sorted(targets) if target.startswith(BLOCKS)]
    return problems


def test_zoo_and_blocks_import_one_way() -> None:
    assert check_zoo_blocks_imports() == []


def test_the_check_sees_a_cycle_and_a_function_level_import() -> None:
    graph = {"archcost.zoo.a": {"archcost.blocks.a"}, "archcost.blocks.a": {"archcost.zoo.a"}, "archcost.x": set()}
    assert cycles_among(graph, (ZOO, BLOCKS)) == [["archcost.blocks.a", "archcost.zoo.a"]]
    tree = ast.parse("def build():\n    from archcost.blocks.resnet import ResNet\n")
    edges = {t for node in ast.walk(tree)
             for t in _imported(node, "archcost.zoo.resnet", False, {"archcost.blocks.resnet"})}
    assert edges == {"archcost.blocks.resnet"}
    # The real graph has the edges the rule relies on: blocks read zoo configs.
    assert "archcost.zoo.resnet" in import_graph()["archcost.blocks.resnet"]


def _lazy_references() -> list[tuple[str, str, str]]:
    found = []
    for module, path in module_files().items():
        if module.startswith(ZOO) and module != f"{ZOO}.registry":  # the registry's docstring shows an example
            found += [(module, target, name) for target, name in LAZY_REFERENCE.findall(path.read_text())]
    return found


def test_every_family_names_its_builder_lazily() -> None:
    referring = {module for module, _, _ in _lazy_references()}
    # Families that only reuse another family's builder (ResNeXt, pre-activation) need no reference of their own.
    assert referring == {f"{ZOO}.{m}" for m in ("resnet", "googlenet", "inception_resnet", "mobilenet", "plain",
                                               "efficientnet", "highway")}


@pytest.mark.parametrize(("module", "target", "name"), _lazy_references())
def test_lazy_references_resolve(module: str, target: str, name: str) -> None:
    from archcost.zoo.registry import load

    assert callable(load(f"{target}:{name}")), f"{module} names {target}:{name}, which is not there"


def test_load_refuses_a_reference_without_an_attribute() -> None:
    from archcost.zoo.registry import load

    with pytest.raises(ValueError, match="module:attribute"):
        load("archcost.blocks.resnet")


def test_listing_the_zoo_imports_no_torch() -> None:
    probe = ("import sys; from archcost.zoo.registry import entries; from archcost.zoo.arguments import described; "
             "rows = [described(e.builder) for e in entries()]; print(len(rows), 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False,
                          cwd=PACKAGE_DIR.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    count, torch_loaded = done.stdout.split()
    assert int(count) == len(archcost.list_architectures()) and torch_loaded == "False"
