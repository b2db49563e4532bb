"""archcost/published/accuracy.csv: every row sourced, every network registered, errors transcribed consistently."""

from __future__ import annotations

import pytest

from archcost.errors import ArchcostError
from archcost.plots.published import SOURCE_KINDS, parse, published_accuracy
from archcost.zoo.registry import get, list_architectures

ROWS = published_accuracy()
HEADER = "arch,dataset,resolution,top1_percent,top5_percent,published_as,evaluation,source_kind,source,arxiv,where,notes"


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.arch}-{r.dataset}")
def test_every_row_has_a_source(row):
    assert row.source_kind in SOURCE_KINDS
    assert row.source.strip() and row.where.strip() and row.evaluation.strip()
    if row.source_kind == "paper" and row.arxiv:
        assert row.arxiv.count(".") == 1 and row.arxiv.replace(".", "").isdigit()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.arch}-{r.dataset}")
def test_every_row_is_a_registered_network_on_its_own_dataset(row):
    entry = get(row.arch)
    assert entry.dataset == row.dataset
    native = entry.input_shape[1]
    # A result measured at another size must say so: the chart computes the cost at the measured size.
    assert row.resolution == native or str(row.resolution) in row.notes


@pytest.mark.parametrize("row", [r for r in ROWS if r.published_as == "error"], ids=lambda r: r.arch)
def test_accuracy_is_100_minus_the_printed_error(row):
    # The notes keep the figure as printed; the accuracy column must be its complement, digit for digit.
    assert f"error {_number(100 - row.top1_percent)}%" in row.notes
    if row.top5_percent is not None:
        assert f"top-5 error {_number(100 - row.top5_percent)}%" in row.notes


def test_the_lecture_networks_have_results():
    names = {r.arch for r in ROWS}
    for family_member in ("googlenet", "resnet50", "resnet110", "efficientnet-b0", "efficientnet-b7", "vgg16",
                          "alexnet", "inception-resnet-v1", "resnext50-32x4d", "mobilenet-v2"):
        assert family_member in names
    # Transcriptions checked by hand against the sources: EfficientNet Table 2, ResNet Table 6, torchvision.
    by_name = {(r.arch, r.dataset): r for r in ROWS}
    assert by_name[("efficientnet-b7", "imagenet")].top1_percent == 84.3
    assert by_name[("efficientnet-b0", "imagenet")].top5_percent == 93.3
    assert by_name[("resnet110", "cifar-10")].top1_percent == 93.57
    assert by_name[("resnet50-v1.5", "imagenet")].top1_percent == 76.13


def test_a_row_without_a_source_is_refused():
    text = f"{HEADER}\nresnet50,imagenet,224,77.15,93.29,error,10 crops,paper,,1512.03385,Table 3,\n"
    with pytest.raises(ArchcostError, match="missing source"):
        parse(text)


def test_a_row_without_a_table_is_refused():
    text = f"{HEADER}\nresnet50,imagenet,224,77.15,93.29,error,10 crops,paper,Deep Residual Learning,1512.03385,,\n"
    with pytest.raises(ArchcostError, match="missing where"):
        parse(text)


def test_a_duplicate_and_a_non_percentage_are_refused():
    row = "resnet50,imagenet,224,77.15,,accuracy,1 crop,weights,w,,page,"
    with pytest.raises(ArchcostError, match="twice"):
        parse(f"{HEADER}\n{row}\n{row}\n")
    with pytest.raises(ArchcostError, match="percentage"):
        parse(f"{HEADER}\n{row.replace('77.15', '177.15')}\n")


def test_cifar_selection_uses_the_cli_spelling():
    cifar = published_accuracy("cifar10")
    assert cifar and all(r.dataset == "cifar-10" for r in cifar)
    assert {r.arch for r in cifar} <= set(list_architectures())
