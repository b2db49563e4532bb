"""``archcost plot memory``: the chart's data against training_memory itself, the drawing's data, the CLI's errors."""

from __future__ import annotations

import json

import pytest
import torch

from archcost.plots.memory_data import KINDS, memory_chart
from archcost.training.memory import training_memory
from archcost.zoo.resolve import build

DEVICE_BYTES = 3 * 10**8


def _peak(batch: int) -> int:
    x = torch.empty((batch, 3, 32, 32), device="meta")
    return training_memory(build("resnet20"), x, optimizer="adam").peak_train_bytes


def test_rows_stack_to_the_peak_and_the_largest_batch_is_the_edge() -> None:
    chart = memory_chart(arch="resnet20", batches=(1, 4, 16), device_bytes=DEVICE_BYTES, optimizer="adam")
    assert [r["batch"] for r in chart.rows] == [1, 4, 16]
    for row in chart.rows:
        assert sum(row[k] for k in KINDS) == row["peak_train_bytes"] == _peak(row["batch"])
        assert row["fits"] == (row["peak_train_bytes"] <= DEVICE_BYTES)
    largest = chart.meta["largest_batch"]
    assert _peak(largest) <= DEVICE_BYTES < _peak(largest + 1)


def test_the_drawing_shows_the_data_and_the_device_line() -> None:
    from archcost.plots.figures import draw

    chart = memory_chart(arch="resnet20", batches=(1, 8), device_bytes=DEVICE_BYTES)
    figure = draw(chart)
    axes = figure.axes[0]
    line = next(a for a in axes.lines if a.get_gid() == "device")
    assert line.get_ydata()[0] == pytest.approx(DEVICE_BYTES / 1e9)
    heights = [0.0, 0.0]
    for container in axes.containers:
        heights = [h + bar.get_height() for h, bar in zip(heights, container)]
    assert heights == pytest.approx([r["peak_train_bytes"] / 1e9 for r in chart.rows])


def test_cli_json_carries_the_largest_batch(capsys: pytest.CaptureFixture[str]) -> None:
    from archcost.cli import run

    code = run(["plot", "memory", "resnet20", "--batch", "1,2", "--device-memory", "0.3GB", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)
    assert document["device_memory_bytes"] == DEVICE_BYTES
    assert document["largest_batch"] == memory_chart(arch="resnet20", batches=(1,),
                                                     device_bytes=DEVICE_BYTES).meta["largest_batch"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--device-memory", "80XB"], "cannot read the device memory"),
    (["--batch", "1,x"], "cannot read --batch"),
    (["--batch", "0,2"], "positive batch sizes"),
    (["--optimizer", "adan"], "unknown optimizer"),
    (["--dtype", "int8"], "dtype"),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                              message: str) -> None:
    from archcost.cli import run

    code = run(["plot", "memory", "resnet20", "--format", "json", *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_plotted_batches_reach_the_largest_batch_that_fits() -> None:
    from archcost.plots.memory_data import plotted_batches

    default = (1, 2, 4, 8, 16, 32, 64)
    assert plotted_batches(default, 1007) == [*default, 128, 256, 512, 1007]
    assert plotted_batches(default, 1024) == [*default, 128, 256, 512, 1024]
    assert plotted_batches(default, 40) == list(default)  # already past the edge: the asked batches only
    assert plotted_batches((3, 1), None) == [1, 3]


def test_extended_chart_ends_at_the_largest_batch_that_fits() -> None:
    chart = memory_chart(arch="resnet20", batches=(1, 2), device_bytes=DEVICE_BYTES, extend_to_fit=True)
    largest = chart.meta["largest_batch"]
    batches = [r["batch"] for r in chart.rows]
    assert batches[-1] == largest and all(r["fits"] for r in chart.rows)
    assert batches[:-1] == [2**k for k in range(len(batches) - 1)] and batches[-2] * 2 > largest
    assert chart.rows[-1]["peak_train_bytes"] == _peak(largest)


def test_the_axis_fits_the_bars_when_the_device_is_far_above_them() -> None:
    from archcost.plots.figures import draw

    device_bytes = 100 * DEVICE_BYTES
    chart = memory_chart(arch="resnet20", batches=(1, 8), device_bytes=device_bytes)
    axes = draw(chart).axes[0]
    tallest_gb = max(r["peak_train_bytes"] for r in chart.rows) / 1e9
    assert tallest_gb < axes.get_ylim()[1] < 1.2 * tallest_gb < device_bytes / 1e9
    label = next(t for t in axes.texts if t.get_gid() == "device-label")
    assert f"largest batch that fits {chart.meta['largest_batch']:,}" in label.get_text()
    assert "above this scale" in label.get_text()
    assert axes.get_legend().get_bbox_to_anchor().x0 > axes.get_window_extent().x1 - 1  # outside, right of the bars


def test_the_device_line_is_on_the_axis_when_the_bars_reach_it() -> None:
    from archcost.plots.figures import draw

    chart = memory_chart(arch="resnet20", batches=(1,), device_bytes=DEVICE_BYTES, extend_to_fit=True)
    axes = draw(chart).axes[0]
    assert DEVICE_BYTES / 1e9 < axes.get_ylim()[1] <= 1.12 * DEVICE_BYTES / 1e9 + 1e-9
    totals = [float(t.get_text()) for t in axes.texts if t.get_gid() == "total"]
    assert totals == pytest.approx([r["peak_train_bytes"] / 1e9 for r in chart.rows], abs=0.006)
