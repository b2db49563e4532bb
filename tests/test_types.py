"""mypy (pinned in the test extras, configured in pyproject.toml's [tool.mypy]) passes over archcost/."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_passes_over_the_package(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is not installed: pip install -e '.[test]' brings it")
    # Its cache goes to the test's temporary folder, never into the repository.
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path),
                                str(ROOT / "archcost")])
    assert status == 0, out + err
