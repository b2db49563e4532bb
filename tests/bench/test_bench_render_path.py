"""bench's tables go through the one render path, and bench/ reads /proc through one helper (issue 14)."""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path

import pytest

from archcost.timing.procfs import proc_field, proc_kib_bytes
from archcost.render import Format, render

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "plots" / "fixtures" / "bench.json"


def test_proc_field_reads_the_first_matching_key(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmHWMx:\t1 kB\nVmHWM:\t  2048 kB\nVmRSS:\t1024 kB\nVmRSS:\t9 kB\n")
    assert proc_field(str(status), "Name") == "python"
    assert proc_field(str(status), "VmHWM") == "2048 kB"  # not the VmHWMx line that shares its prefix
    assert proc_kib_bytes(str(status), "VmRSS") == 1024 * 1024
    assert proc_field(str(status), "Missing") is None
    assert proc_kib_bytes(str(status), "Name") is None  # not a number: None, not a guess
    assert proc_field(str(tmp_path / "absent"), "Name") is None


def test_cpuinfo_style_keys_with_spaces_and_tabs(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\n\nprocessor\t: 1\nmodel name\t: Other\n")
    assert proc_field(str(cpuinfo), "model name") == "Some CPU @ 2.0GHz"


def _layered(document: dict) -> dict:
    result = document["results"][0]
    layers = [{"name": "", "type": "Net", "depth": 0, "macs": 10, "measured_ms": 1.0},
              {"name": "body", "type": "Sequential", "depth": 1, "macs": 8, "measured_ms": 0.8},
              {"name": "body.conv", "type": "Conv2d", "depth": 2, "macs": 8, "measured_ms": 0.7}]
    overhead = {"runs": 5, "hooked_forward_ms": 1.2, "plain_forward_ms": 1.0, "overhead_fraction": 0.2,
                "overhead_us_per_module_call": 3.0}
    return {**document, "results": [{**result, "layers": layers, "layer_overhead": overhead}]}


@pytest.fixture()
def document() -> dict:
    plot_fixture = json.loads(FIXTURE.read_text())  # the plots' bench file, plus the notes a table prints
    device = {**plot_fixture["device"], "peak_method": "fixture gemm", "bandwidth_method": "fixture copy"}
    return {**plot_fixture, "device": device, "method": "fixture method"}


def test_bench_output_formats(document):
    from archcost.cli.bench import bench_output

    output = bench_output(document)
    assert json.loads(render(output, Format.JSON)) == document
    rows = list(csv.DictReader(io.StringIO(render(output, Format.CSV))))
    assert [(r["arch"], int(r["batch"])) for r in rows] == [(r["arch"], r["batch"]) for r in document["results"]]
    markdown = render(output, Format.MARKDOWN)
    assert markdown.startswith(f"### archcost bench — {document['device']['type']}")
    assert markdown.count("\n| ") == len(document["results"]) + 1  # the header and one line per result


def test_bench_output_with_layers_lists_every_layer_in_csv_and_depth_one_in_tables(document):
    from archcost.cli.bench import bench_output

    output = bench_output(_layered(document))
    rows = list(csv.DictReader(io.StringIO(render(output, Format.CSV))))
    assert [r["name"] for r in rows] == ["", "body", "body.conv"]
    markdown = render(output, Format.MARKDOWN)
    assert "measured time per layer (depth <= 1)" in markdown
    assert "Conv2d" not in markdown and "Sequential" in markdown
    assert "20.0% overhead, 3.0 us per module call" in markdown


@pytest.mark.parametrize("module", ["bench.py", "plot.py", "plot_memory.py"])
def test_bench_and_plot_commands_keep_no_format_ladder_of_their_own(module):
    """The format ladder lives in render.py only: these commands build an Output and hand it to write()."""
    tree = ast.parse((ROOT / "archcost" / "cli" / module).read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert not names & {"to_csv", "to_json", "to_markdown", "to_rich", "emit"}
