"""Where each published figure is printed: the data files cite the section that holds the number, and the committed
report files carry the same sources as a fresh reproduction."""

from __future__ import annotations

from pathlib import Path

import pytest

from archcost.plots.published import published_accuracy
from archcost.reproduction import reproduce, tables
from archcost.reproduction.figures import lookup

REPORTS = Path(__file__).resolve().parents[2] / "reports" / "reproduce"


@pytest.mark.parametrize(("row", "quantity", "where"), [
    ("VGG-16", "MACs", "section 4.1"),  # "VGG-16/19 nets (15.3/19.6 billion FLOPs)" is in 4.1, Deeper Bottleneck
    ("AlexNet", "params", "abstract and section 4"),
    ("ResNet-152 (11.3 billion FLOPs) has lower complexity than VGG-16", "MACs ratio ResNet-152 / VGG-16",
     "section 4.1"),
])
def test_resnet_and_alexnet_figures_cite_the_section_that_prints_them(row: str, quantity: str, where: str) -> None:
    assert lookup("vgg-alexnet", row, quantity).source.table.startswith(where)


def test_the_pre_activation_resnet110_figure_says_it_is_the_original_units() -> None:
    assert "original residual unit" in lookup("preact-cifar", "ResNet-110 pre-act", "params").source.table


def test_efficientnet_accuracies_name_the_arxiv_revision() -> None:
    rows = [r for r in published_accuracy("imagenet")
            if r.arch.startswith("efficientnet-b") and r.source_kind == "paper"]
    assert len(rows) == 8 and all("arXiv v5" in r.where for r in rows)


@pytest.mark.parametrize("target", ["vgg-alexnet", "preact-cifar"])
def test_committed_reports_carry_the_current_sources(target: str) -> None:
    assert (REPORTS / f"{target}.md").read_text() == tables.markdown(reproduce(target), heading="#")
    assert (REPORTS / f"{target}.csv").read_text() == tables.csv(reproduce(target))
