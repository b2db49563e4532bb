"""Reading printed figures, judging them at their own precision, inferring K, and the data files themselves."""

from __future__ import annotations

import csv

import pytest

from archcost.reproduction.explain import Candidate, explain
from archcost.reproduction.figures import PUBLISHED_DIR, load, parse_figure
from archcost.reproduction.status import (DISAGREES, MATCHES, ROUNDING, TRUNCATED, infer_base, status,
                                      truncates_to)

OWN_FILES = sorted(p.stem for p in PUBLISHED_DIR.glob("*.csv") if p.stem != "accuracy")


@pytest.mark.parametrize(("text", "value", "decimals"), [
    ("2.7K", 2_700, 1), ("1000K", 1_000_000, 0), ("34M", 34_000_000, 0), ("1.8x10^9", 1_800_000_000, 1),
    ("0.39B", 390_000_000, 2), ("5,978,554", 5_978_554, 0), ("22.81 MB", 22_810_000, 2), ("~25%", 25, 0),
    ("1.5 billion", 1_500_000_000, 1), ("12×", 12, 0), ("28x28x192x3x3x64", 28 * 28 * 192 * 3 * 3 * 64, 0),
])
def test_parse(text: str, value: float, decimals: int) -> None:
    figure = parse_figure(text)
    assert figure.value() == pytest.approx(value)
    assert figure.decimals == decimals


def test_binary_reading_of_k() -> None:
    assert parse_figure("112K").value(base=1024) == 112 * 1024
    assert parse_figure("22.81 MB").value(base=1024) == pytest.approx(22.81 * 2**20)
    assert parse_figure("1.5 billion").value(base=1024) == 1.5e9  # words are always decimal


def test_status_at_printed_precision() -> None:
    assert status(parse_figure("5,978,554"), 5_978_554) == MATCHES
    assert status(parse_figure("854M"), 854_196_224) == ROUNDING
    assert status(parse_figure("358M"), 271_351_808) == DISAGREES
    assert status(parse_figure("3.8x10^9"), 3_857_973_248) == TRUNCATED  # rounds to 3.9, cuts to 3.8
    assert truncates_to(parse_figure("3.8x10^9"), 3_857_973_248)
    assert status(parse_figure("3.7x10^9"), 3_857_973_248) == DISAGREES  # neither rounds nor cuts to 3.7
    assert status(parse_figure("3.9x10^9"), 3_857_973_248) == ROUNDING
    assert status(parse_figure("1000K"), 1_024_000, base=1024) == MATCHES
    assert status(parse_figure("above 1"), 1.45) == MATCHES
    assert status(parse_figure("below 1"), 1.45) == DISAGREES


def test_k_inferred_per_column() -> None:
    column = [(parse_figure("112K"), 114_688), (parse_figure("1000K"), 1_024_000), (parse_figure("159K"), 1)]
    assert infer_base(column) == (1024, 0, 2)
    assert infer_base([(parse_figure("34M"), 34_019_328)])[0] == 1000


def test_explanation_finds_a_term_counted_twice() -> None:
    terms = [Candidate("[1x1 conv 64]", 12_845_056), Candidate("[3x3 conv 192]", 86_704_128)]
    text = explain(parse_figure("358M"), 271_351_808, base=1000, terms=terms)
    assert "[3x3 conv 192] (86,704,128) counted twice: 358,055,936 gives 358M" in text
    assert explain(parse_figure("358M"), 1, base=1000).startswith("no explanation found")


def test_explanations_say_each_fact_once() -> None:
    # The printed and computed values and their difference are columns of the row: not restated.
    assert explain(parse_figure("9.2M"), 9_109_994, base=1000) == "no explanation found (-1.0% of the printed figure)"
    # Two variants giving the same reading are one fact.
    same = [Candidate("variant A", 1_498_677_248), Candidate("variant A", 1_498_677_248)]
    text = explain(parse_figure("1.5 billion"), 1_582_671_872, base=1000, alternatives=same)
    assert text == "rounded, it would read 1.6 billion; variant A: 1,498,677,248 gives 1.5 billion"


@pytest.mark.parametrize("target", OWN_FILES)
def test_data_files_parse_and_cite(target: str) -> None:
    rows = load(target)
    assert rows
    for p in rows:
        assert p.source.title and p.source.table, p
        assert p.kind in ("row", "claim")
        if p.unit != "shape":
            assert p.figure.value() == pytest.approx(p.published), p  # the stored parse is the parse
    with (PUBLISHED_DIR / f"{target}.csv").open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    assert len(list(csv.DictReader(lines))) == len(rows)
