"""The report's one-minute summary: its figures are the engine's counts and the published figures' data, checked
here against hand formulas of the lecture's inception modules (28x28x256 input)."""

from __future__ import annotations

from archcost.report_summary import summary_lines
from archcost.reproduction import reproduce

POSITIONS = 28 * 28


def _macs(out_channels: int, k: int, in_channels: int) -> int:
    return POSITIONS * out_channels * k * k * in_channels


NAIVE = _macs(128, 1, 256) + _macs(192, 3, 256) + _macs(96, 5, 256)
BOTTLENECK = (_macs(64, 1, 256) * 3 + _macs(128, 1, 256)  # two reductions, the pool projection, the 1x1 branch
              + _macs(192, 3, 64) + _macs(96, 5, 64))


def test_summary_states_the_counted_modules_and_where_the_lecture_s_358m_comes_from() -> None:
    text = "\n".join(summary_lines(reproduce("googlenet-table1"), reproduce("inception-module")))
    assert f"costs {NAIVE:,} MACs" in text  # 854,196,224
    assert f"costs {BOTTLENECK:,} MACs: {NAIVE / BOTTLENECK:.2f} times fewer" in text  # 271,351,808, 3.15
    twice = BOTTLENECK + _macs(192, 3, 64)  # the 3x3 192 term added a second time
    assert f"{twice:,} gives 358M" in text and round(twice, -6) == 358_000_000
    assert "All 6 of the slide's term-by-term figures match" in text


def test_summary_counts_table1_statuses_as_the_reproduction_does() -> None:
    googlenet = reproduce("googlenet-table1")
    text = "\n".join(summary_lines(googlenet, reproduce("inception-module")))
    disagree = sum(r.status == "disagrees" for r in googlenet.rows)
    assert f"of the table's {len(googlenet.rows)} figures, {len(googlenet.rows) - disagree} agree" in text
    assert f"and {disagree} do not" in text and 0 < disagree < len(googlenet.rows)
