"""The plotting package's boundaries: lazy imports, matplotlib nowhere else, the report's charts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import archcost
import archcost.plots.report as report
from archcost.plots import accuracy_chart

PACKAGE = Path(archcost.__file__).parent


def test_importing_the_cli_and_plots_loads_no_heavy_module():
    code = ("import sys, archcost.cli.app, archcost.plots, archcost.cli.plot; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'pandas') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_only_the_plots_package_imports_matplotlib():
    pattern = re.compile(r"^\s*(import matplotlib|from matplotlib)", re.MULTILINE)
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if pattern.search(p.read_text()) and p.parent.name != "plots"]
    assert offenders == []


def test_pyplot_is_never_used():
    sources = "".join(p.read_text() for p in (PACKAGE / "plots").glob("*.py"))
    assert "pyplot" not in sources.replace("no pyplot", "").replace("pyplot's", "")


def test_write_report_charts(tmp_path, monkeypatch):
    # The report's own list, with the accuracy chart cut to three networks to keep the test fast (the full
    # chart is the same code on more rows).
    report._register()
    monkeypatch.setitem(report.REPORT_CHARTS, "accuracy-imagenet",
                        lambda: accuracy_chart(archs=["googlenet", "resnet50", "efficientnet-b0"]))
    written = report.write_report_charts(tmp_path, svg=False)
    names = [p.name for p in written]
    assert names[0] == "accuracy-imagenet.png"
    for stem in ("layers-googlenet", "layers-resnet50", "inception", "scaling-efficientnet-b0"):
        assert f"{stem}.png" in names
    assert all(p.parent == tmp_path / "charts" and p.read_bytes() for p in written)
    first = {p.name: p.read_bytes() for p in written}
    again = report.write_report_charts(tmp_path, svg=False)
    assert {p.name: p.read_bytes() for p in again} == first  # the committed reports/ can be byte-compared
