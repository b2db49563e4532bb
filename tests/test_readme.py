"""The README's example output is this test's output, and its set-up commands are the ones CI runs."""

from __future__ import annotations

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
