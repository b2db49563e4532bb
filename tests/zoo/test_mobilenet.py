"""MobileNet v1 and v2: parameters and MACs against hand formulas, the papers' tables and torchvision's count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archcost

GOLDEN = json.loads((Path(archcost.__file__).parent / "zoo" / "golden" / "mobilenet.json").read_text())

# v1 Table 1 again, as (stride, output channels) of each depthwise-separable pair after the 3x3/2 stem to 32.
V1_ROWS = ((1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), *((1, 512),) * 5, (2, 1024), (1, 1024))


def mobilenet_v1_by_hand(alpha: float) -> tuple[int, int]:
    """Bias-free convs, each with a batch norm (gamma and beta: 2 per channel), then FC to 1000."""
    c_in, side = int(32 * alpha), 112
    params = 27 * c_in + 2 * c_in
    macs = side * side * 27 * c_in
    for stride, out in V1_ROWS:
        out = int(out * alpha)
        side //= stride
        params += 9 * c_in + 2 * c_in + c_in * out + 2 * out  # depthwise 3x3, pointwise 1x1
        macs += side * side * (9 * c_in + c_in * out)
        c_in = out
    return params + c_in * 1000 + 1000, macs + c_in * 1000


def test_mobilenet_v1_by_hand() -> None:
    params, macs = mobilenet_v1_by_hand(1.0)
    assert params == 4_231_976  # the common (Keras/TF-slim) implementation's count with batch norm
    analysis = archcost.analyze("mobilenet-v1")
    assert (analysis.totals["params"], analysis.totals["macs"]) == (params, macs)
    assert (params, macs) == (GOLDEN["mobilenet-v1"]["params"], GOLDEN["mobilenet-v1"]["macs"])


# v1 paper Table 6: width multiplier -> (million mult-adds, million parameters), as printed (rounded).
V1_TABLE6 = {1.0: (569, 4.2), 0.75: (325, 2.6), 0.5: (149, 1.3), 0.25: (41, 0.5)}


@pytest.mark.parametrize("alpha", sorted(V1_TABLE6))
def test_mobilenet_v1_width_multiplier_reproduces_table6(alpha: float) -> None:
    analysis = archcost.analyze("mobilenet-v1", width_mult=alpha)
    macs_m, params_m = V1_TABLE6[alpha]
    assert round(analysis.totals["macs"] / 1e6) == macs_m
    assert round(analysis.totals["params"] / 1e6, 1) == params_m
    assert (analysis.totals["params"], analysis.totals["macs"]) == mobilenet_v1_by_hand(alpha)


# v2 Table 2 again: t, c, n, s.
V2_ROWS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def test_mobilenet_v2_by_hand_and_torchvision() -> None:
    c_in, side = 32, 112
    params, macs = 27 * 32 + 64, side * side * 27 * 32
    for t, c, n, s in V2_ROWS:
        for i in range(n):
            hidden = c_in * t
            if t != 1:
                params += c_in * hidden + 2 * hidden
                macs += side * side * c_in * hidden
            side //= s if i == 0 else 1
            params += 9 * hidden + 2 * hidden + hidden * c + 2 * c
            macs += side * side * (9 * hidden + hidden * c)
            c_in = c
    params += c_in * 1280 + 2 * 1280 + 1280 * 1000 + 1000
    macs += side * side * c_in * 1280 + 1280 * 1000
    assert params == 3_504_872  # torchvision's published mobilenet_v2 count
    analysis = archcost.analyze("mobilenet-v2")
    assert (analysis.totals["params"], analysis.totals["macs"]) == (params, macs)
    assert round(macs / 1e6) == 301  # the paper's Table 4 prints 300M
    assert (params, macs) == (GOLDEN["mobilenet-v2"]["params"], GOLDEN["mobilenet-v2"]["macs"])
    assert analysis.uncounted_ops == {}
