"""The rule table is whole once archcost.counting loads: an inference analysis does not depend on what ran before.

Each case runs in a fresh process, since the bug this guards against (backward rules added to the table when the
training package was first imported) only shows in a process that has not yet imported it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

_SCRIPT = """
import json, sys
import torch
import torch.nn.functional as F
import archcost

class WithLoss(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(10, 5)

    def forward(self, x):
        return F.cross_entropy(self.fc(x), torch.zeros(x.shape[0], dtype=torch.long, device=x.device))

if sys.argv[1] == "train-first":
    archcost.analyze(torch.nn.Linear(4, 3), "4", mode="train")
if sys.argv[1] == "import-first":
    import archcost.training.step  # noqa: F401
analysis = archcost.analyze(WithLoss(), "10", batch=6, device="meta")
print(json.dumps({"totals": analysis.totals, "uncounted": analysis.uncounted_ops}))
"""


def _inference_in_fresh_process(tmp_path: Path, first: str) -> dict:
    script = tmp_path / "with_loss.py"
    script.write_text(_SCRIPT)
    done = subprocess.run([sys.executable, str(script), first], capture_output=True, text=True, check=True,
                          cwd=tmp_path)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("first", ["train-first", "import-first"])
def test_cross_entropy_inference_is_the_same_whatever_ran_first(tmp_path: Path, first: str) -> None:
    alone = _inference_in_fresh_process(tmp_path, "nothing")
    after = _inference_in_fresh_process(tmp_path, first)
    assert alone["uncounted"] == {} and after["uncounted"] == {}
    assert alone["totals"] == after["totals"]
    # Hand count, batch 6, 10 -> 5 classes: the linear's bias is 6*5 adds; nll_loss picks one log-probability per
    # row and averages them: 6 - 1 adds and one division.
    assert alone["totals"]["adds"] == 6 * 5 + (6 - 1)
    assert alone["totals"]["divs"] == 1
    assert alone["totals"]["macs"] == 6 * 10 * 5


def test_only_the_rule_decorator_writes_into_the_table() -> None:
    """No module but counting/rule_table.py writes into RULES (no item assignment, setdefault, update, pop or del):
    every rule goes in through @rule, which refuses a second rule for a name."""
    import ast

    import archcost
    from archcost.counting.rule_table import rule
    from archcost.counting.rules import RULES  # the table, with every rule file registered

    package = Path(archcost.__file__).parent
    writers = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "rule_table.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
                [node.target] if isinstance(node, ast.AugAssign) else []
            written = [t for t in targets if isinstance(t, ast.Subscript) and "RULES" in ast.unparse(t.value)]
            called = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                "RULES" in ast.unparse(node.func.value) and node.func.attr in {"setdefault", "update", "pop", "clear"}
            if written or called:
                writers.append(f"{path.relative_to(package)}:{node.lineno}")
    assert writers == []
    assert "convolution" in RULES
    with pytest.raises(ValueError, match="two rules for aten.convolution"):
        rule("convolution")(lambda args, kwargs, out: ())
