"""The ``fvcore`` convention is exactly fvcore: fvcore's own test cases (tests/test_flop_count.py in
facebookresearch/fvcore), run by fvcore on CPU tensors in eval mode, against archcost on meta and on CPU."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import archcost
from testmodels import Call

fvcore_nn = pytest.importorskip("fvcore.nn")


class ThreeNet(nn.Module):  # fvcore's test_threeNet / test_flop_counter_class
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.pool = nn.Conv2d(2, 5, 1, 1), nn.AdaptiveAvgPool2d((1, 1))
        self.linear1, self.linear2 = nn.Linear(5, 3), nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.linear1(torch.flatten(self.pool(self.conv(x)), 1)))


def _r(*shape: int) -> torch.Tensor:
    return torch.rand(*shape)


# (id, builder, input shape): each builder makes the module on the current default device.
CASES = [
    ("threenet", ThreeNet, (4, 2, 10, 10)),
    ("linear", lambda: nn.Linear(10, 20), (5, 10)),
    ("linear-3d", lambda: nn.Linear(10, 20), (5, 5, 10)),
    ("conv2d", lambda: nn.Conv2d(10, 3, 3, 1, 1), (5, 10, 15, 15)),
    ("conv2d-stride", lambda: nn.Conv2d(10, 6, 3, 2, 1), (2, 10, 20, 20)),
    ("conv2d-groups", lambda: nn.Conv2d(16, 8, 5, 1, 2, groups=4), (5, 16, 15, 15)),
    ("conv2d-depthwise", lambda: nn.Conv2d(16, 8, 3, 1, 1, groups=8), (5, 16, 15, 15)),
    ("conv1d", lambda: nn.Conv1d(10, 3, 3, 1, 1), (5, 10, 15)),
    ("conv3d", lambda: nn.Conv3d(10, 3, 3, 1, 1), (5, 10, 15, 15, 15)),
    ("conv-transposed", lambda: nn.ConvTranspose2d(10, 3, 3, 1, 1), (5, 10, 15, 15)),
    ("conv-transposed-stride", lambda: nn.ConvTranspose2d(10, 3, 3, 2, 1), (5, 10, 15, 15)),
    ("conv-transposed-output-padding", lambda: nn.ConvTranspose2d(10, 3, 3, 3, 1, output_padding=2), (5, 10, 15, 15)),
    ("matmul", lambda: Call(torch.matmul, _r(10, 100)), (20, 10)),
    ("matmul-broadcast-1", lambda: Call(torch.matmul, _r(1, 10, 100)), (1, 20, 10)),
    ("matmul-broadcast-4", lambda: Call(torch.matmul, _r(2, 2, 10, 100)), (2, 2, 20, 10)),
    ("matmul-broadcast-3d-2d", lambda: Call(torch.matmul, _r(10, 100)), (2, 20, 10)),
    ("mm", lambda: Call(torch.mm, _r(4, 5)), (3, 4)),
    ("bmm", lambda: Call(torch.bmm, _r(2, 2, 12)), (2, 5, 2)),
    ("einsum-nct,ncp->ntp", lambda: Call(lambda x, y: torch.einsum("nct,ncp->ntp", x, y), _r(1, 5, 12)), (1, 5, 2)),
    ("einsum-ntg,ncg->nct", lambda: Call(lambda x, y: torch.einsum("ntg,ncg->nct", x, y), _r(1, 5, 6)), (1, 2, 6)),
    ("einsum-nc,nchw->hw", lambda: Call(lambda x, y: torch.einsum("nc,nchw->hw", x, y), _r(3, 4, 2, 3)), (3, 4)),
    ("batchnorm1d-eval", lambda: nn.BatchNorm1d(10, affine=False), (10, 10)),
    ("batchnorm2d-eval", lambda: nn.BatchNorm2d(10), (10, 10, 5, 5)),
    ("batchnorm3d-eval", lambda: nn.BatchNorm3d(10, affine=False), (10, 10, 5, 5, 5)),
    ("groupnorm", lambda: nn.GroupNorm(2, 2), (2, 2, 2, 2)),
    ("groupnorm-no-affine", lambda: nn.GroupNorm(2, 2, affine=False), (2, 2, 2, 2)),
    ("layernorm", lambda: nn.LayerNorm([4, 4]), (2, 3, 4, 4)),
    ("instancenorm", lambda: nn.InstanceNorm2d(3), (2, 3, 4, 4)),
    ("instancenorm-affine", lambda: nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 4)),
    ("instancenorm1d", lambda: nn.InstanceNorm1d(3), (2, 3, 8)),
    ("upsample-bilinear", lambda: Call(lambda x: F.interpolate(x, None, 2, "bilinear", False)), (2, 2, 2, 2)),
    ("upsample-nearest", lambda: nn.Upsample(scale_factor=2, mode="nearest"), (2, 2, 3, 3)),
    ("upsample-bicubic", lambda: nn.Upsample(scale_factor=2, mode="bicubic"), (2, 2, 3, 3)),
    ("upsample-nearest1d", lambda: nn.Upsample(scale_factor=2, mode="nearest"), (2, 2, 3)),
    ("adaptive-avg-pool2d-global", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 6, 6)),
    ("adaptive-avg-pool2d", lambda: nn.AdaptiveAvgPool2d(3), (2, 3, 6, 6)),
    ("adaptive-avg-pool1d-global", lambda: nn.AdaptiveAvgPool1d(1), (2, 3, 8)),
    ("adaptive-avg-pool1d", lambda: nn.AdaptiveAvgPool1d(4), (2, 3, 8)),
    ("adaptive-avg-pool3d-global", lambda: nn.AdaptiveAvgPool3d(1), (2, 3, 4, 4, 4)),
    ("adaptive-avg-pool3d", lambda: nn.AdaptiveAvgPool3d(2), (2, 3, 4, 4, 4)),
    ("explicit-mean", lambda: Call(lambda x: x.mean((2, 3), keepdim=True)), (2, 3, 6, 6)),
    ("explicit-mean-flat", lambda: Call(lambda x: x.mean((2, 3))), (2, 3, 6, 6)),
    ("conv-bn-relu-pool", lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                                                nn.AdaptiveAvgPool2d(1)), (1, 3, 9, 9)),
]


def _fvcore_total(model: nn.Module, shape: tuple[int, ...]) -> int:
    model.eval()
    with torch.no_grad():
        analysis = fvcore_nn.FlopCountAnalysis(model, torch.rand(shape))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        return int(analysis.total())


@pytest.mark.parametrize("build, shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fvcore_convention_equals_fvcore_on_meta_and_cpu(build, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    expected = _fvcore_total(build(), shape)
    on_cpu = archcost.analyze(build(), torch.zeros(shape), device="cpu", convention="fvcore")
    with torch.device("meta"):
        on_meta_model = build()
    on_meta = archcost.analyze(on_meta_model, torch.zeros(shape), device="meta", convention="fvcore")
    assert (on_meta.totals["ops"], on_cpu.totals["ops"]) == (expected, expected)


def test_the_cases_exercise_every_fvcore_handle_that_archcost_emulates() -> None:
    """A guard against a vacuous table: every handle the convention emulates counts something on some case, and
    the cases fvcore cannot see (1-d/3-d pools, explicit means, bicubic, 1-d nearest) give it 0."""
    seen: set[str] = set()
    zero: list[str] = []
    for name, build, shape in CASES:
        model = build().eval()
        with torch.no_grad():
            analysis = fvcore_nn.FlopCountAnalysis(model, torch.rand(shape))
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
            seen.update(op for op, n in analysis.by_operator().items() if n)
            if analysis.total() == 0:
                zero.append(name)
    assert seen >= {"conv", "matmul", "bmm", "einsum", "batch_norm", "group_norm", "layer_norm", "instance_norm",
                    "upsample_nearest2d", "upsample_bilinear2d", "adaptive_avg_pool2d"}
    assert "linear" in seen or "addmm" in seen
    assert sorted(zero) == sorted(["upsample-bicubic", "upsample-nearest1d", "adaptive-avg-pool1d-global",
                                   "adaptive-avg-pool1d", "adaptive-avg-pool3d-global", "adaptive-avg-pool3d",
                                   "explicit-mean", "explicit-mean-flat"])
