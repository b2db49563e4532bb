"""CI runs this folder with the real libraries, as the README says (this test needs neither torchvision nor timm)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = "pip install torch==2.14.1 torchvision==0.29.1 timm"


def test_ci_installs_the_clients_and_runs_tests_external() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert CLIENTS in ci and "run_pytest tests/external" in ci
    assert ci.index("run_pytest tests/external") > ci.index("run_pytest ||")  # after the main suite
    assert '"$status" -eq 5' in ci  # no tests collected is a failure there too
    readme = (ROOT / "README.md").read_text()
    assert f"{CLIENTS} && pip install -e '.[test]' && python -m pytest tests/external" in readme


def test_external_module_imports_without_torch() -> None:
    code = "import sys, archcost.zoo.external, archcost.zoo.resolve; assert 'torch' not in sys.modules, 'torch'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


# What depends on torch's version, run again on the newest torch pyproject.toml admits: private-API adapters, the meta
# kernels (which re-implement torch's layouts and dtypes), the FlopCounterMode cross-checks, the type checker.
VERSION_DEPENDENT = ("tests/test_torch_compat.py", "tests/test_types.py", "tests/test_meta_kernels.py",
                     "tests/test_meta_kernels_train.py", "tests/counting/test_meta_kernel_analyses.py",
                     "tests/counting/test_meta_kernel_train_analyses.py", "tests/test_registry_flop_counter.py",
                     "tests/training/test_flop_counter_train.py")


def test_the_second_environment_runs_what_depends_on_torchs_version() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    step = ci[ci.index("run_pytest tests/external"):]
    step = step[:step.index("|| external=$?")]
    assert [p for p in VERSION_DEPENDENT if p not in step or not (ROOT / p).is_file()] == []
