"""Helpers the chart tests share: a command's JSON output, the label boxes of a drawn figure, and the overlap check.
A plain module, not conftest.py: tests/training has a conftest too, and ``from conftest import`` would find
whichever of the two was imported last."""

from __future__ import annotations

import json

import pytest


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    from archcost.cli import run

    code = run(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def label_boxes(figure, axes) -> dict[str, object]:
    """Window extents of the point labels' text (texts whose gid starts with 'label:'), after a full draw; an
    annotation's own extent would include its leader line."""
    from matplotlib.text import Text

    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    return {t.get_gid(): Text.get_window_extent(t, renderer) for t in axes.texts
            if (t.get_gid() or "").startswith("label:")}


def assert_no_overlap(boxes: dict[str, object]) -> None:
    items = list(boxes.items())
    for i, (a, box_a) in enumerate(items):
        for b, box_b in items[i + 1:]:
            assert not box_a.overlaps(box_b), f"labels {a} and {b} overlap"
