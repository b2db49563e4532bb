"""Library errors name options as fields (errors.Option), never as command-line flags; the CLI words them as flags
(cli/errors.py). The command-line messages themselves are asserted in test_cli.py, test_inputs.py, test_bad_input.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import archcost
from archcost.cli.errors import flag, message
from archcost.errors import DataDependentError, Option, UsageError, literal

PACKAGE = Path(archcost.__file__).parent
FLAG = re.compile(r"(^|[\s(])--[a-z]")


def _error_texts(tree: ast.AST) -> list[tuple[int, str]]:
    """The string pieces of every ``raise`` and of every call to a ``...Error`` class."""
    found: dict[int, tuple[int, str]] = {}  # by node, so a call inside a raise counts once
    for node in ast.walk(tree):
        is_error_call = (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                         and node.func.id.endswith("Error"))
        if isinstance(node, ast.Raise) or is_error_call:
            found.update({id(piece): (piece.lineno, piece.value) for piece in ast.walk(node)
                          if isinstance(piece, ast.Constant) and isinstance(piece.value, str)})
    return sorted(found.values())


def test_no_library_error_names_a_command_line_flag() -> None:
    named = [f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
             for path in sorted(PACKAGE.rglob("*.py")) if "cli" not in path.relative_to(PACKAGE).parts
             for line, text in _error_texts(ast.parse(path.read_text(encoding="utf-8"))) if FLAG.search(text)]
    assert named == []


def test_the_check_finds_a_flag_in_an_error() -> None:
    tree = ast.parse('raise UsageError(f"add --device cpu {x}")\nmake = ShapeError("but --batch says")')
    assert [text for _, text in _error_texts(tree) if FLAG.search(text)] == ["add --device cpu ", "but --batch says"]


def test_an_error_carries_its_option_and_each_edge_words_it() -> None:
    error = UsageError("unknown $x 'y'; choose one of macs, params", Option("x"), accepted=("macs", "params"))
    assert (error.option, error.value, error.accepted) == ("x", None, ("macs", "params"))
    assert str(error) == "unknown x 'y'; choose one of macs, params"
    assert message(error) == "unknown --x 'y'; choose one of macs, params"


@pytest.mark.parametrize("option, library, cli", [
    (Option("device", "cpu"), "device='cpu'", "--device cpu"),
    (Option("device"), "device", "--device"),
    (Option("input_shape", "3x224x224"), "input_shape='3x224x224'", "--input 3x224x224"),
    (Option("overrides", "weights=None"), "weights=None", "--set weights=None"),
    (Option("min_time_s"), "min_time_s", "--min-time"),
    (Option("write_golden"), "write_golden", "--write-golden"),
])
def test_option_wordings(option: Option, library: str, cli: str) -> None:
    assert (option.as_argument(), flag(option)) == (library, cli)


def test_one_option_named_twice_and_a_dollar_from_elsewhere() -> None:
    error = DataDependentError(f"drop $device (or use $meta); torch said {literal('$$x $device')}",
                               Option("device"), Option("device", "meta", key="meta"), reason="r", where="w")
    assert message(error) == "drop --device (or use --device meta); torch said $$x $device"
    assert str(error) == "drop device (or use device='meta'); torch said $$x $device"
    assert (error.reason, error.where) == ("r", "w")


def test_a_plain_message_is_kept_as_written() -> None:
    assert message(UsageError("costs $5 and $$")) == "costs $5 and $$"
