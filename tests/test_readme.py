"""The README's example output is this test's output, and its set-up commands are the ones CI runs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from archcost.cli import run

ROOT = Path(__file__).resolve().parent.parent


def _block_after(text: str, marker: str) -> str:
    start = text.index(marker)
    match = re.search(r"```text\n(.*?)\n```", text[start:], re.S)
    assert match, f"no text block after {marker!r}"
    return match.group(1)


def test_readme_example_is_the_real_output(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    assert run(["table", "googlenet", "--depth", "1", "--out", str(target)]) == 0
    produced = "\n".join(line.rstrip() for line in target.read_text().splitlines()).strip("\n")
    readme = (ROOT / "README.md").read_text()
    assert _block_after(readme, "`archcost table googlenet --depth 1`") == produced


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install torch==2.13.0 && pip install -e '.[test]' && python -m pytest" in readme
    assert "pip install torch==2.13.0" in ci and "python -m pytest" in ci


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def test_every_python_block_of_the_readme_runs() -> None:
    blocks = _python_blocks((ROOT / "README.md").read_text())
    assert blocks, "the README has no python block"
    for number, block in enumerate(blocks, 1):
        # Exactly as a reader pastes it: a fresh namespace, nothing defined beforehand (the block makes its models).
        exec(compile(block, f"README.md python block {number}", "exec"), {})


def test_readme_figures_in_comments_are_the_computed_ones() -> None:
    """A line `expression  # 25557032, 4089184256` states what the expression gives: evaluate it and compare."""
    checked = 0
    for block in _python_blocks((ROOT / "README.md").read_text()):
        namespace: dict[str, object] = {}
        lines = block.splitlines()
        for statement in ast.parse(block).body:  # statement by statement: the block defines classes over many lines
            code, _, comment = lines[statement.lineno - 1].partition("  # ")
            one_line = statement.lineno == statement.end_lineno
            if one_line and re.fullmatch(r"[\d, ]+", comment.strip()) and "," in comment:
                value = eval(code, namespace)
                assert tuple(value) == tuple(int(x) for x in comment.split(",")), code
                checked += 1
            else:
                exec(compile(ast.Module([statement], []), "README.md", "exec"), namespace)
    assert checked >= 1
