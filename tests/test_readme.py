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


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def _readme_models() -> dict[str, object]:
    """The user models the README's example names (my_model, my_raft, my_encoder): small real modules of the same
    kind (one image input, two image inputs, two keyword integer inputs), so the example runs as written."""
    import torch
    from torch import nn

    class TwoFrames(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(6, 8, 3, stride=8)

        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return self.conv(torch.cat([a, b], dim=1))

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(1000, 16)
            self.proj = nn.Linear(16, 4)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.proj(self.embed(input_ids)) * attention_mask.unsqueeze(-1)

    return {"my_model": nn.Sequential(nn.Conv2d(3, 8, 3, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(1)),
            "my_raft": TwoFrames(), "my_encoder": Encoder()}


def test_every_python_block_of_the_readme_runs() -> None:
    blocks = _python_blocks((ROOT / "README.md").read_text())
    assert blocks, "the README has no python block"
    for number, block in enumerate(blocks, 1):
        namespace: dict[str, object] = _readme_models()
        exec(compile(block, f"README.md python block {number}", "exec"), namespace)


def test_readme_figures_in_comments_are_the_computed_ones() -> None:
    """A line `expression  # 25557032, 4089184256` states what the expression gives: evaluate it and compare."""
    checked = 0
    for block in _python_blocks((ROOT / "README.md").read_text()):
        namespace: dict[str, object] = _readme_models()
        for line in block.splitlines():
            code, _, comment = line.partition("  # ")
            if re.fullmatch(r"[\d, ]+", comment.strip()) and "," in comment:
                value = eval(code, namespace)
                assert tuple(value) == tuple(int(x) for x in comment.split(",")), line
                checked += 1
            else:
                exec(line, namespace)
    assert checked >= 1
