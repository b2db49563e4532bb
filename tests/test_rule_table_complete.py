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
