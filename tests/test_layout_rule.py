"""archcost/layout.py's pieces, against hand-made cases: names shortened in the middle keeping their end, text
wrapped at token boundaries only, figures never shortened, the least important columns left out first."""

from __future__ import annotations

from archcost import layout
from archcost.render import Column, View, integer, rich_to_text, Fitted


def test_a_name_keeps_its_start_and_end() -> None:
    assert layout.shorten("AdaptiveAvgPool2d", 12) == "Ada…vgPool2d"
    assert layout.shorten("conv1", 12) == "conv1"


def test_a_formula_wraps_between_tokens_and_keeps_its_figures() -> None:
    text = "K_h*K_w*(C_in/groups)*C_out*H_out*W_out*N = 3*3*(96/1)*128*28*28*1 = 86,704,128 macs"
    lines = layout.wrap(text, 14)
    assert all(len(line) <= 14 for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing shortened, nothing lost
    assert "86,704,128" in lines and "C_out*H_out*" in lines


def test_the_least_important_column_goes_first_and_the_label_stays() -> None:
    rows = [{"layer": f"block{i}.{'deep' * 6}", "params": 10 ** 9 + i, "extra": 5, "wide": 123456789} for i in range(3)]
    columns = [Column("layer", "layer", "left", label=True), Column("params", "params", show=integer),
               Column("extra", "extra", show=integer, drop=1), Column("wide", "wide", show=integer, drop=2)]
    text = rich_to_text(Fitted(View(rows, columns)), width=48)
    assert "Left out at 48 columns: wide (" in text and "extra" in text.split("Left out")[0]
    for i in range(3):
        assert f"1,000,000,00{i}" in text.split()
        assert any(t.startswith("blo") and t.endswith(f"deepdeep") and "…" in t for t in text.split())
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 48
