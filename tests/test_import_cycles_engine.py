"""No import cycle anywhere in archcost (issue 14 item 4), and the counting engine never imports the zoo or blocks.

Every ``import`` statement is an edge, at module level or inside a function, except those under ``if
TYPE_CHECKING:``, which never run. Two kinds of edge are not edges of the graph: one to the root package ``archcost``
(Python runs it before any of its submodules anyway; it only binds the public names lazily), and the zoo's
``"archcost.blocks.x:Name"`` strings, the one documented lazy registry -> builder reference (a string, so no edge
exists to leave out). The walker and Tarjan's algorithm are tests/test_import_cycles.py's.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from test_import_cycles import _imported, cycles_among, import_graph

ROOT = "archcost"


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the import nodes under an ``if TYPE_CHECKING:`` block."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return hidden


def runtime_graph() -> dict[str, set[str]]:
    """module -> the archcost modules it can import while running (module- and function-level imports)."""
    return import_graph(skip=_type_checking_only, leave_out=(ROOT,))


CLI = "archcost.cli"


def test_no_import_cycle() -> None:
    assert cycles_among(runtime_graph(), (ROOT,)) == []


def test_no_import_cycle_in_cli() -> None:
    # cli/commands.py imports app then every command module; a command module imports app, never commands.
    graph = runtime_graph()
    assert cycles_among(graph, (CLI,)) == []
    assert "archcost.cli.app" in graph["archcost.cli.table"] and "archcost.cli.plot_memory" in graph[
        "archcost.cli.commands"]  # the graph sees the registering imports


@pytest.mark.parametrize("pair", [("archcost.timing.harness", "archcost.timing.isolate"),
                                  ("archcost.analysis", "archcost.counting.backends"),
                                  ("archcost.counting.rules", "archcost.counting.pointwise_rules")])
def test_the_cycles_issue_14_names_are_one_way(pair: tuple[str, str]) -> None:
    graph = runtime_graph()
    first, second = pair
    assert not (second in graph[first] and first in graph[second])
    assert second in graph[first]  # the edge that is left: the graph still sees real imports


def test_the_counting_engine_imports_neither_zoo_nor_blocks() -> None:
    graph = runtime_graph()
    wrong = {(m, t) for m, targets in graph.items() if m.startswith("archcost.counting")
             for t in targets if t.startswith(("archcost.zoo", "archcost.blocks"))}
    assert wrong == set()


def test_type_checking_imports_are_left_out_and_function_imports_kept() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from archcost.a import A\n"
                     "def f():\n    from archcost.b import B\n")
    hidden = _type_checking_only(tree)
    seen = {t for node in ast.walk(tree) if id(node) not in hidden
            for t in _imported(node, "archcost.c", False, {"archcost.a", "archcost.b"})}
    assert seen == {"archcost.b", "typing"}
    assert cycles_among({"archcost.a": {"archcost.b"}, "archcost.b": {"archcost.a"}}, (ROOT,)) == [
        ["archcost.a", "archcost.b"]]


def test_bench_and_reproduce_are_plain_functions_whatever_was_imported_since() -> None:
    import types

    import archcost
    import archcost.timing.harness
    import archcost.reproduction.core

    assert type(archcost.bench) is types.FunctionType and type(archcost.reproduce) is types.FunctionType
    assert archcost.bench.__module__ == "archcost.timing" and archcost.reproduce.__module__ == "archcost.reproduction"
    assert type(sys.modules["archcost.timing"]) is types.ModuleType  # no replaced module class
    assert type(sys.modules["archcost.reproduction"]) is types.ModuleType


def test_importing_archcost_imports_neither_torch_nor_matplotlib_nor_pandas() -> None:
    probe = "import sys, archcost; print(sorted(m for m in ('torch', 'matplotlib', 'pandas') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
