"""torch._grouped_mm, the experts' matmul of transformers' mixture-of-experts layers (Mixtral, Qwen-MoE): counted by a
hand formula summed group by group, in every convention; its meta kernel refuses float32 (it mirrors CUDA's bf16-only
check), which makes ``device="auto"`` analyse a model from outside the registry on CPU and say why."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archcost
from archcost.cli import run
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


class Fp8Experts(nn.Module):
    """The fp8 path (torchao's MoE training): row-wise scales, the experts' weights column-major, on meta."""

    def __init__(self) -> None:
        super().__init__()
        weight = torch.empty(EXPERTS, INTER, HIDDEN * 2, device="meta", dtype=torch.float8_e4m3fn)
        self.up = nn.Parameter(weight, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, HIDDEN * 2).to(torch.float8_e4m3fn)
        mat2 = self.up.transpose(-2, -1)  # (E, 2*HIDDEN, INTER), column-major as the kernel requires
        scale_a = torch.ones(rows.shape[0], device=x.device)
        scale_b = torch.ones(EXPERTS, INTER, device=x.device)
        return torch._scaled_grouped_mm(rows, mat2, scale_a, scale_b, offs=_offsets(rows.shape[0], x.device),
                                        out_dtype=torch.bfloat16)


def test_the_scaled_fp8_variant_counts_the_same_products_on_meta() -> None:
    a = archcost.analyze(Fp8Experts(), "12x16", device="meta", convention="full")
    assert "_scaled_grouped_mm" not in a.uncounted_ops
    assert a.totals["macs"] == 12 * (HIDDEN * 2) * INTER  # M_total*K*N: groups of 3 rows, each 3*K*N


@pytest.mark.parametrize(("name", "bias_at"), [("_grouped_mm", 3), ("_scaled_grouped_mm", 5)])
def test_a_bias_is_one_add_per_output_element(name: str, bias_at: int) -> None:
    from archcost.counting.rule_table import RULES

    a, b = torch.empty(10, 8, device="meta"), torch.empty(3, 8, 16, device="meta")
    out, bias = torch.empty(10, 16, device="meta"), torch.empty(3, 16, device="meta")
    scales = (torch.empty(10, device="meta"), torch.empty(3, 16, device="meta"))
    head = (a, b, *scales) if name == "_scaled_grouped_mm" else (a, b)
    for args, kwargs in (((*head, None, bias), {}), (head, {"bias": bias})):
        assert len(args) in (len(head), bias_at + 1)
        terms = RULES[name](args, kwargs, out)
        assert [t.count for t in terms] == [10 * 8 * 16, 10 * 16]
    assert [t.count for t in RULES[name](head, {}, out)] == [10 * 8 * 16]


def test_bf16_runs_on_meta_without_a_fallback() -> None:
    a = archcost.analyze(Experts().to(torch.bfloat16), "2x6x8", dtype="bfloat16")
    assert a.device == "meta" and "fallback" not in a.provenance
    assert a.totals["macs"] == _by_group(12)


def test_the_cli_says_why_it_ran_on_cpu(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["table", "test_grouped_mm:experts", "--input", "6x8"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "device cpu" in out
    assert "Analysed on cpu, not meta: aten._grouped_mm refuses it on meta: Expected inputs of BF16 type" in out
    code = run(["table", "test_grouped_mm:experts", "--input", "6x8", "--device", "meta"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "") and len(err.strip().splitlines()) == 1 and "aten._grouped_mm" in err
