"""``archcost plot batch | roofline`` from an archcost.bench/1 file (a small fixture, no timing in tests)."""

from __future__ import annotations

import json

import pytest
from chart_checks import run_json

import archcost
from archcost.cli import run
from archcost.plots import batch_chart, draw, load_bench, roofline_chart


def test_batch_data_is_time_per_image(capsys, bench_file, bench_document):
    document = run_json(capsys, ["plot", "batch", "--bench", str(bench_file), "--format", "json"])
    expected = {(r["arch"], r["batch"]): r for r in bench_document["results"]}
    assert len(document["rows"]) == 4
    for row in document["rows"]:
        source = expected[(row["arch"], row["batch"])]
        assert row["ms_per_image"] == source["median_ms"] / source["batch"]
        assert row["p10_ms_per_image"] == source["p10_ms"] / source["batch"]
    # googlenet: 20 ms for one image, 60 ms for four, so 15 ms per image.
    assert [r["ms_per_image"] for r in document["rows"] if r["arch"] == "googlenet"] == [20.0, 15.0]


def test_batch_figure_draws_one_line_per_network(bench_file):
    chart = batch_chart(bench=load_bench(bench_file))
    axes = draw(chart).axes[0]
    line = next(l for l in axes.lines if l.get_gid() == "series:resnet18:float32")
    assert list(line.get_xdata()) == [1, 4] and list(line.get_ydata()) == [25.0, 17.5]
    assert axes.get_xscale() == "log"


def test_roofline_uses_the_engines_intensity_and_the_measured_roofs(capsys, bench_file, bench_document):
    document = run_json(capsys, ["plot", "roofline", "--bench", str(bench_file), "--format", "json"])
    assert document["roofs"]["peak_gflops"] == {"float32": pytest.approx(400.0)}
    assert document["roofs"]["bandwidth_gb_per_s"] == 20.0
    for row in document["rows"]:
        totals = archcost.analyze(row["arch"], batch=row["batch"]).totals
        assert row["macs"] == totals["macs"]
        assert row["intensity_flops_per_byte"] == pytest.approx(2 * totals["macs"] / totals["memory_bytes"])
        source = next(r for r in bench_document["results"] if (r["arch"], r["batch"]) == (row["arch"], row["batch"]))
        assert row["achieved_gflops"] == source["achieved_gflops"]


def test_roofline_figure(bench_file):
    chart = roofline_chart(bench=load_bench(bench_file))
    axes = draw(chart).axes[0]
    roof = next(l for l in axes.lines if l.get_gid() == "roof:float32")
    assert max(roof.get_ydata()) == pytest.approx(400.0)
    points = next(c for c in axes.collections if c.get_gid() == "points:googlenet:float32")
    expected = [(r["intensity_flops_per_byte"], r["achieved_gflops"]) for r in chart.rows if r["arch"] == "googlenet"]
    assert [c for p in points.get_offsets() for c in p] == pytest.approx([c for p in expected for c in p])


@pytest.mark.parametrize("suffix, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_renders_each_format(tmp_path, bench_file, suffix, magic):
    for kind in ("batch", "roofline"):
        out = tmp_path / f"{kind}.{suffix}"
        assert run(["plot", kind, "--bench", str(bench_file), "--out", str(out)]) == 0
        assert out.read_bytes().startswith(magic)


def test_bad_bench_files(tmp_path, capsys):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"schema": "archcost.analysis/1", "results": []}))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"schema": "archcost.bench/1", "results": []}))
    for path, message in ((wrong, "expected 'archcost.bench/1'"), (broken, "is not JSON"),
                          (empty, "holds no results"), (tmp_path / "missing.json", "does not exist")):
        assert run(["plot", "batch", "--bench", str(path), "--format", "json"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1


def test_roofline_labels_overlap_neither_each_other_nor_the_roofs(bench_file):
    import itertools

    from chart_checks import assert_no_overlap, label_boxes

    from archcost.plots.labels import Box, crosses

    chart = roofline_chart(bench=load_bench(bench_file))
    figure = draw(chart)
    axes = figure.axes[0]
    boxes = label_boxes(figure, axes)
    assert len(boxes) == len(chart.rows)
    assert_no_overlap(boxes)
    for line in (l for l in axes.lines if (l.get_gid() or "").startswith("roof:")):
        shown = [tuple(xy) for xy in line.get_transform().transform(line.get_xydata())]
        for gid, e in boxes.items():
            box = Box(e.x0, e.y0, e.x1, e.y1)
            assert not any(crosses(box, a, b) for a, b in itertools.pairwise(shown)), f"{line.get_gid()} crosses {gid}"


BUSY = {"load_1min": 3.1, "cores": 2, "threads": 2, "busy": True, "advice": "rerun with --threads 1 --isolate",
        "reason": "1-minute load 3.10 on 2 usable cores before the run leaves 0.0 free for 2 threads"}


def test_batch_chart_states_its_noise(bench_document):
    bench_document["results"][1]["cov"] = 0.23  # one noisy measurement among the fixture's 5% ones
    noisy = bench_document["results"][1]
    chart = batch_chart(bench=bench_document)
    assert sorted(r["cov"] for r in chart.rows) == sorted(r["cov"] for r in bench_document["results"])
    note = next(line for line in chart.caption if line.startswith("Measurement noise"))
    assert "5.0% at the median of 4 measurements" in note
    assert f"at most 23.0% ({noisy['arch']} batch {noisy['batch']})" in note
    axes = draw(chart).axes[0]
    assert "5.0% to 23.0%" in next(t for t in axes.texts if t.get_gid() == "noise").get_text()
    assert chart.meta["under_load"] is None and not [t for t in axes.texts if t.get_gid() == "load-warning"]


def test_batch_chart_without_a_cov_says_the_noise_is_unknown(bench_document):
    for result in bench_document["results"]:
        del result["cov"]
    assert "spread is unknown" in batch_chart(bench=bench_document).caption[1]


def test_a_run_under_load_is_flagged_on_the_chart(bench_document):
    bench_document["load"] = BUSY
    chart = batch_chart(bench=bench_document)
    assert chart.meta["under_load"].startswith("TAKEN UNDER LOAD: " + BUSY["reason"])
    assert chart.meta["under_load"] in chart.caption
    warning = next(t for t in draw(chart).axes[0].texts if t.get_gid() == "load-warning")
    assert "UNDER LOAD" in warning.get_text()


def test_the_measured_report_keeps_the_busiest_runs_load(bench_document):
    from archcost.timing.report import _merge

    quiet = {**bench_document, "load": {**BUSY, "busy": False, "reason": None}}
    merged = _merge([quiet, {**bench_document, "load": BUSY}])
    assert merged["load"] == BUSY and len(merged["results"]) == 2 * len(bench_document["results"])
    assert _merge([quiet, quiet])["load"] == quiet["load"]
