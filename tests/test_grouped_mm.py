"""torch._grouped_mm, the experts' matmul of transformers' mixture-of-experts layers (Mixtral, Qwen-MoE): counted by a
hand formula summed group by group, in every convention; its meta kernel refuses float32 (it mirrors CUDA's bf16-only
check), which makes ``device="auto"`` analyse a model from outside the registry on CPU and say why."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archcost
from archcost.counting.formulas import grouped_mm_macs
from archcost.errors import DataDependentError

EXPERTS, HIDDEN, INTER = 4, 8, 16  # float32 rows of 8 and 16: the 16-byte stride alignment torch's kernel asks for


class Experts(nn.Module):
    """Mixtral's expert MLP as transformers runs it: token rows sorted by expert, one _grouped_mm per projection.

    The split points come from the shape (token t goes to expert t * EXPERTS // T), not from a router's values, so the
    groups are known to the test: offs ends at T, every row belongs to one expert."""

    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Parameter(torch.randn(EXPERTS, HIDDEN, INTER) / 4)
        self.down = nn.Parameter(torch.randn(EXPERTS, INTER, HIDDEN) / 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, HIDDEN)
        offs = _offsets(rows.shape[0], x.device)
        hidden = torch.nn.functional.silu(torch._grouped_mm(rows, self.up, offs=offs))
        return torch._grouped_mm(hidden, self.down, offs=offs).reshape(x.shape)


def _offsets(tokens: int, device: torch.device | str = "cpu") -> torch.Tensor:
    ends = (torch.arange(1, EXPERTS + 1, device=device) * tokens) // EXPERTS
    return ends.to(torch.int32)


def experts() -> nn.Module:
    return Experts()


def _by_group(tokens: int) -> int:
    """The hand count: every group g multiplies its rows_g tokens by its own (HIDDEN, INTER) and (INTER, HIDDEN)."""
    ends = [0, *_offsets(tokens).tolist()]
    return sum((end - start) * HIDDEN * INTER * 2 for start, end in zip(ends, ends[1:]))


@pytest.mark.parametrize(("a", "b", "offs", "expected"), [
    ((10, 8), (3, 8, 16), [3, 7, 10], 3 * 8 * 16 + 4 * 8 * 16 + 3 * 8 * 16),  # 2d x 3d: rows split
    ((3, 4, 8), (8, 16), [4, 8, 16], 4 * 8 * 4 + 4 * 8 * 4 + 4 * 8 * 8),  # 3d x 2d: N split, output (M, N)
    ((4, 24), (24, 8), [8, 24], 4 * 8 * 8 + 4 * 16 * 8),  # 2d x 2d: K split, output (G, M, N)
    ((3, 4, 8), (3, 8, 16), None, 3 * 4 * 8 * 16),  # 3d x 3d: a batched matmul
])
def test_the_formula_is_the_sum_over_groups_and_torch_agrees_on_the_layout(
        a: tuple[int, ...], b: tuple[int, ...], offs: list[int] | None, expected: int) -> None:
    offsets = None if offs is None else torch.tensor(offs, dtype=torch.int32)
    out = torch._grouped_mm(torch.randn(a), torch.randn(b), offs=offsets)  # the layout is one torch computes
    assert grouped_mm_macs(a, b).count == expected
    assert out.numel() > 0


@pytest.mark.parametrize("convention", ["paper", "fvcore", "full"])
def test_a_moe_layer_on_cpu_counts_every_expert_matmul(convention: str) -> None:
    a = archcost.analyze(Experts(), "2x6x8", device="cpu", convention=convention)
    assert "_grouped_mm" not in a.uncounted_ops
    assert a.totals["macs"] == _by_group(12) == 2 * 12 * HIDDEN * INTER
    if convention != "full":
        assert a.totals["ops"] == a.totals["macs"]  # silu is not in these conventions; the matmuls are
    else:
        assert a.totals["ops"] > a.totals["macs"]


def test_the_default_device_falls_back_to_cpu_and_says_why() -> None:
    a = archcost.analyze("test_grouped_mm:experts", "6x8")
    reason = a.provenance["fallback"]["reason"]
    assert a.device == "cpu" and reason.startswith("aten._grouped_mm refuses it on meta: Expected inputs of BF16")
    assert any(note.startswith(f"Analysed on cpu, not meta: {reason}") for note in a.provenance["notes"])
    assert a.totals["macs"] == _by_group(6)


def test_a_user_instance_falls_back_too_and_meta_alone_is_strict() -> None:
    model = Experts()
    assert archcost.analyze(model, "2x6x8").totals["macs"] == _by_group(12)
    with pytest.raises(DataDependentError, match=r"cannot run on meta: aten\._grouped_mm refuses it on meta"):
        archcost.analyze(model, "2x6x8", device="meta")
