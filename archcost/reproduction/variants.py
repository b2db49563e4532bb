"""Variant search for a layer whose printed cost disagrees: build plausible alternatives of the layer as small
modules, count each with the engine (meta device, nothing allocated) and keep those whose parameters and MACs both
fit the printed figures. The candidates are generic layer designs, not guesses tailored to one number."""

from __future__ import annotations

from functools import partial
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from archcost.shapes import same_padding


@dataclass(frozen=True)
class ConvLayer:
    """The layer as the network has it: a k x k convolution with stride s on an H x W input."""

    c_in: int
    c_out: int
    kernel: int
    stride: int
    padding: int
    size: int  # input height = width


@dataclass(frozen=True)
class Variant:
    label: str
    params: int
    macs: int


def _separable(c: int, m: int, o: int, k: int, s: int, p: int, bias: bool) -> Any:
    from torch import nn

    return nn.Sequential(nn.Conv2d(c, c * m, k, s, p, groups=c, bias=bias), nn.Conv2d(c * m, o, 1, bias=bias))


def _factorised(c: int, w: int, o: int, k: int, s: int, p: int, bias: bool) -> Any:
    from torch import nn

    return nn.Sequential(nn.Conv2d(c, w, (k, 1), (s, 1), (p, 0), bias=bias),
                         nn.Conv2d(w, o, (1, k), (1, s), (0, p), bias=bias))


def _candidates(layer: ConvLayer) -> Iterator[tuple[str, Callable[[], Any]]]:
    from torch import nn

    c, o, k, s, p = layer.c_in, layer.c_out, layer.kernel, layer.stride, layer.padding
    for bias in (True, False):
        b = "" if bias else ", no bias"
        yield f"{k}x{k}/{s} conv, {c}->{o}{b}", partial(nn.Conv2d, c, o, k, s, p, bias=bias)
        yield f"{k}x{k}/{s} conv on a one-channel input, 1->{o}{b}", partial(nn.Conv2d, 1, o, k, s, p, bias=bias)
        for small in (3, 5):
            if small < k:
                yield (f"{small}x{small}/{s} conv instead of {k}x{k}, {c}->{o}{b}",
                       partial(nn.Conv2d, c, o, small, s, same_padding(small), bias=bias))
        # Depthwise separable: a k x k depthwise conv with depth multiplier m, then a 1x1 pointwise conv.
        for m in range(1, 17):
            yield (f"depthwise-separable {k}x{k}/{s} (depth multiplier {m}: {k}x{k} depthwise {c}->{c * m}, "
                   f"1x1 pointwise {c * m}->{o}){b}", partial(_separable, c, m, o, k, s, p, bias))
        # Spatially factorised: k x 1 then 1 x k, through an intermediate width w.
        for w in sorted({c, o // 2, o}):
            yield f"factorised {k}x1 + 1x{k} conv ({c}->{w}->{o}){b}", partial(_factorised, c, w, o, k, s, p, bias)


def conv_variants(layer: ConvLayer) -> list[Variant]:
    """Every candidate design of ``layer`` with its parameters and MACs, counted by :func:`archcost.analyze`."""
    import torch

    from archcost.analysis import analyze

    found = []
    for label, make in _candidates(layer):
        with torch.device("meta"):
            module = make()
        counted = analyze(module, (layer.c_in if "one-channel" not in label else 1, layer.size, layer.size))
        found.append(Variant(label, counted.totals["params"], counted.totals["macs"]))
    return found
