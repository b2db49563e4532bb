"""The published accuracy of the zoo's networks (``archcost/published/accuracy.csv``): data compared against, never
computed. Torch-free and matplotlib-free.

Every row carries its source: the paper and table, the reference implementation's published weights, or the lecture.
A row without one is refused when the file is read, so a chart can never show an unsourced figure.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from archcost.errors import ArchcostError

SOURCE_KINDS = ("paper", "weights", "lecture")
# The datasets a chart can be asked for, spelled as on the command line -> as in the registry and the CSV.
DATASETS = {"imagenet": "imagenet", "cifar10": "cifar-10", "fashion-mnist": "fashion-mnist"}
_CROPS = re.compile(r"^(\d+) (?:centre )?(?:crops?|patches)\b")
_REQUIRED = ("arch", "dataset", "resolution", "top1_percent", "published_as", "evaluation", "source_kind", "source",
             "where")


@dataclass(frozen=True)
class PublishedAccuracy:
    arch: str
    dataset: str  # registry spelling: imagenet, cifar-10, fashion-mnist
    resolution: int  # input side the result was measured at; charts compute the cost there
    top1_percent: float
    top5_percent: float | None  # None where the source gives no top-5
    published_as: str  # "accuracy", or "error" when the source prints 100 - accuracy
    evaluation: str  # crops, test set or split
    source_kind: str  # paper | weights | lecture
    source: str  # paper title, weights name or "the lecture's ..."
    arxiv: str
    where: str  # table and row, or the weights' page
    notes: str

    def cite(self) -> str:
        arxiv = f" (arXiv:{self.arxiv})" if self.arxiv and self.source_kind == "paper" else ""
        return f"{self.source}{arxiv}, {self.where}"

    def short_source(self) -> str:
        """A compact citation for a chart's caption: arXiv id (or authors) and table for papers, whose weights
        otherwise ('torchvision IMAGENET1K_V1 weights')."""
        if self.source_kind == "paper":
            authors = re.search(r"\(([^)]*)\)\s*$", self.source)
            paper = f"arXiv:{self.arxiv}" if self.arxiv else authors.group(1) if authors else self.source
            table = re.match(r"(Table|Figure|Section|section) [\w.]+", self.where)
            return f"{paper} {table.group(0) if table else self.where}"
        if self.source_kind == "weights":
            name = self.source.split(" (")[0]
            if name.startswith("torchvision "):
                return f"torchvision {name.rsplit('.', 1)[-1]} weights"
            return f"{name} weights"
        return "the lecture's training log"

    @property
    def crops(self) -> int | None:
        """Crops (or patches) averaged per test image, read from the sourced ``evaluation`` text ("10 crops",
        "1 centre crop", "10 patches (...)"); None where the evaluation is not by crops (a test set, a split)."""
        found = _CROPS.match(self.evaluation)
        return int(found.group(1)) if found else None

    def short_evaluation(self) -> str:
        return self.evaluation.split(" (")[0]


def _accuracy(value: str, field: str, line: int) -> float:
    number = float(value)
    if not 0.0 < number <= 100.0:
        raise ArchcostError(f"accuracy.csv line {line}: {field} {value} is not a percentage")
    return number


def parse(text: str) -> list[PublishedAccuracy]:
    """Rows of the accuracy file; a row that lacks a source, a dataset or a figure is an error, not a gap."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    rows = []
    seen: set[tuple[str, str]] = set()
    for number, record in enumerate(csv.DictReader(lines), start=2):
        missing = [k for k in _REQUIRED if not (record.get(k) or "").strip()]
        if missing:
            raise ArchcostError(f"accuracy.csv row {number} ({record.get('arch') or '?'}): missing "
                                f"{', '.join(missing)}; every published figure needs its source")
        if record["source_kind"] not in SOURCE_KINDS:
            raise ArchcostError(f"accuracy.csv row {number}: source_kind must be one of {', '.join(SOURCE_KINDS)}")
        if record["published_as"] not in ("accuracy", "error"):
            raise ArchcostError(f"accuracy.csv row {number}: published_as must be accuracy or error")
        key = (record["arch"], record["dataset"])
        if key in seen:
            raise ArchcostError(f"accuracy.csv row {number}: {key[0]} on {key[1]} appears twice")
        seen.add(key)
        top5 = (record.get("top5_percent") or "").strip()
        rows.append(PublishedAccuracy(
            arch=record["arch"], dataset=record["dataset"], resolution=int(record["resolution"]),
            top1_percent=_accuracy(record["top1_percent"], "top1_percent", number),
            top5_percent=_accuracy(top5, "top5_percent", number) if top5 else None,
            published_as=record["published_as"], evaluation=record["evaluation"],
            source_kind=record["source_kind"], source=record["source"], arxiv=(record.get("arxiv") or "").strip(),
            where=record["where"], notes=record.get("notes") or "",
        ))
    return rows


@lru_cache(maxsize=1)
def _load() -> tuple[PublishedAccuracy, ...]:
    text = resources.files("archcost").joinpath("published/accuracy.csv").read_text(encoding="utf-8")
    return tuple(parse(text))


def published_accuracy(dataset: str | None = None) -> list[PublishedAccuracy]:
    """The published rows, optionally for one dataset (registry spelling, or the CLI's ``cifar10``)."""
    rows = list(_load())
    if dataset is None:
        return rows
    wanted = DATASETS.get(dataset, dataset)
    return [r for r in rows if r.dataset == wanted]
