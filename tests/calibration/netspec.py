"""Small networks described as data, and the modules they build: what the calibration strategy generates.

A network is a ``NetSpec``: an input shape and a chain of ``Layer`` rows. A row names its kind and its arguments; a
composite row (residual, concatenation, repeat, shared, alias, steered) holds the rows of its branches. The spec is
plain data so that a failing case prints (and shrinks) as a readable list of layers, and ``build`` turns it into an
``nn.Module`` on any device. Torch semantics decide every shape: the strategy runs each candidate layer on meta and
keeps it only when it runs and its output stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Layer:
    kind: str
    args: tuple[tuple[str, Any], ...] = ()
    branches: tuple[tuple[Layer, ...], ...] = ()

    def arg(self, name: str, default: Any = None) -> Any:
        return dict(self.args).get(name, default)

    @property
    def refined_kind(self) -> str:
        """The kind, refined for convolutions, norms, pools, activations and recurrent cells (``strategies.KINDS``),
        so that a property can be held back for exactly the kind that breaks it."""
        a = dict(self.args)
        if self.kind == "conv":
            if a.get("transposed"):
                return "conv-transposed"
            return "conv-padded" if a.get("mode", "zeros") != "zeros" else "conv"
        detail = {"norm": "norm", "pool": "pool", "rnn": "cell", "act": "fn"}.get(self.kind)
        return f"{self.kind}-{a[detail]}" if detail else self.kind

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.args)
        if self.branches:
            inner += (", " if inner else "") + " | ".join("[" + ", ".join(map(repr, b)) + "]" for b in self.branches)
        return f"{self.kind}({inner})"


@dataclass(frozen=True)
class NetSpec:
    input_shape: tuple[int, ...]
    layers: tuple[Layer, ...]
    eval_mode: bool = False  # the user's model may arrive in either mode; the analysis must restore it

    def kinds(self) -> set[str]:
        """Every (refined) layer kind in the network, composites and their branches included."""
        found: set[str] = set()
        stack = list(self.layers)
        while stack:
            layer = stack.pop()
            found.add(layer.refined_kind)
            for branch in layer.branches:
                stack.extend(branch)
        return found

    def __repr__(self) -> str:
        mode = ", eval" if self.eval_mode else ""
        return f"NetSpec({self.input_shape}{mode}: " + " -> ".join(map(repr, self.layers)) + ")"


class Chain(nn.Module):
    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class Residual(nn.Module):
    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Concat(nn.Module):
    def __init__(self, branches: list[nn.Module], dim: int) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], self.dim)


class Shared(nn.Module):
    """One module called several times in one forward."""

    def __init__(self, block: nn.Module, times: int) -> None:
        super().__init__()
        self.block = block
        self.times = times

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(self.times):
            x = self.block(x)
        return x


class Alias(nn.Module):
    """One module registered under two names; the forward calls it through one name or both."""

    def __init__(self, block: nn.Module, both: bool) -> None:
        super().__init__()
        self.first = block
        self.second = block
        self.both = both

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.first(x)
        return self.second(x) if self.both else x


class Repeated(nn.Module):
    """Applies its ``repeats`` attribute's worth of calls of one conv: the parent sets it during the forward."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        self.block = block
        self.repeats = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(self.repeats):
            x = self.block(x)
        return x


class Steered(nn.Module):
    """Identical children whose behaviour the parent sets at call time (child i runs its block i + 1 times)."""

    def __init__(self, children: list[nn.Module]) -> None:
        super().__init__()
        self.children_ = nn.ModuleList(children)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, child in enumerate(self.children_):
            child.repeats = i + 1
            x = child(x)
        return x


class SelfAttention(nn.Module):
    def __init__(self, attention: nn.MultiheadAttention, need_weights: bool) -> None:
        super().__init__()
        self.attention = attention
        self.need_weights = need_weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: N x L x E
        if not self.attention.batch_first:
            x = x.transpose(0, 1)
        out = self.attention(x, x, x, need_weights=self.need_weights)[0]
        return out if self.attention.batch_first else out.transpose(0, 1)


class DotProductAttention(nn.Module):
    """``F.scaled_dot_product_attention`` over ``heads`` heads, with or without a q/k/v projection."""

    def __init__(self, embed: int, heads: int, causal: bool, project: bool) -> None:
        super().__init__()
        self.heads = heads
        self.causal = causal
        self.qkv = nn.Linear(embed, 3 * embed) if project else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: N x L x E
        n, length, embed = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1) if self.qkv is not None else (x, x, x)
        q, k, v = (t.reshape(n, length, self.heads, embed // self.heads).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)  # N x heads x L x E/heads
        return out.transpose(1, 2).reshape(n, length, embed)


class Recurrent(nn.Module):
    def __init__(self, rnn: nn.RNNBase) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: N x L x E
        if not self.rnn.batch_first:
            return self.rnn(x.transpose(0, 1))[0].transpose(0, 1)
        return self.rnn(x)[0]


_ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "gelu": nn.GELU, "silu": nn.SiLU, "sigmoid": nn.Sigmoid,
                "tanh": nn.Tanh, "hardswish": nn.Hardswish, "hardsigmoid": nn.Hardsigmoid,
                "leaky_relu": nn.LeakyReLU}
ACTIVATIONS = tuple(_ACTIVATIONS)


def _conv(a: dict[str, Any]) -> nn.Module:
    dim = a["dim"]
    common = dict(kernel_size=a["k"], stride=a["s"], padding=a["p"], dilation=a["d"], groups=a["g"], bias=a["bias"])
    if a.get("transposed"):
        cls = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[dim - 1]
        return cls(a["cin"], a["cout"], output_padding=a["op"], **common)
    cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dim - 1]
    return cls(a["cin"], a["cout"], padding_mode=a.get("mode", "zeros"), **common)


def _norm(a: dict[str, Any]) -> nn.Module:
    dim, c, kind = a["dim"], a["c"], a["norm"]
    if kind == "batch":
        return (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[dim - 1](c, affine=a["affine"],
                                                                       track_running_stats=a["track"])
    if kind == "instance":
        return (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)[dim - 1](c, affine=a["affine"],
                                                                                track_running_stats=a["track"])
    if kind == "group":
        return nn.GroupNorm(a["groups"], c, affine=a["affine"])
    return nn.LayerNorm(a["shape"], elementwise_affine=a["affine"], bias=a["bias"])


def _pool(a: dict[str, Any]) -> nn.Module:
    dim, kind = a["dim"], a["pool"]
    if kind == "max":
        return (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[dim - 1](a["k"], a["s"], a["p"], ceil_mode=a["ceil"])
    if kind == "avg":
        return (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[dim - 1](a["k"], a["s"], a["p"], ceil_mode=a["ceil"],
                                                                 count_include_pad=a["include_pad"])
    if kind == "adaptive_avg":
        return (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)[dim - 1](a["out"])
    return (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)[dim - 1](a["out"])


def _rnn(a: dict[str, Any]) -> nn.Module:
    cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[a["cell"]]
    return Recurrent(cls(a["e"], a["hidden"], num_layers=a["layers"], bias=a["bias"], batch_first=a["batch_first"],
                         bidirectional=a["bidirectional"]))


def _simple(layer: Layer) -> nn.Module:
    a = dict(layer.args)
    kind = layer.kind
    if kind == "conv":
        return _conv(a)
    if kind == "norm":
        return _norm(a)
    if kind == "pool":
        return _pool(a)
    if kind == "act":
        return _ACTIVATIONS[a["fn"]]()
    if kind == "upsample":
        return nn.Upsample(scale_factor=a["scale"], mode=a["mode"], align_corners=a["align"])
    if kind == "flatten":
        return nn.Flatten()
    if kind == "linear":
        return nn.Linear(a["fin"], a["fout"], bias=a["bias"])
    if kind == "mha":
        return SelfAttention(nn.MultiheadAttention(a["e"], a["heads"], bias=a["bias"], batch_first=a["batch_first"],
                                                   add_bias_kv=a["bias_kv"]), a["need_weights"])
    if kind == "sdpa":
        return DotProductAttention(a["e"], a["heads"], a["causal"], a["project"])
    if kind == "encoder":
        return nn.TransformerEncoderLayer(a["e"], a["heads"], dim_feedforward=a["ff"], dropout=0.0,
                                          batch_first=True, norm_first=a["norm_first"])
    if kind == "rnn":
        return _rnn(a)
    raise ValueError(f"unknown layer kind {kind!r}")


def build_layer(layer: Layer) -> nn.Module:
    kind, a = layer.kind, dict(layer.args)
    chains = [Chain([build_layer(row) for row in branch]) for branch in layer.branches]
    if kind == "residual":
        return Residual(chains[0])
    if kind == "concat":
        return Concat(chains, a["dim"])
    if kind == "repeat":  # separate instances of one structure
        return Chain([Residual(Chain([build_layer(row) for row in layer.branches[0]])) for _ in range(a["times"])])
    if kind == "shared":
        return Shared(chains[0], a["times"])
    if kind == "alias":
        return Alias(chains[0], a["both"])
    if kind == "steered":
        return Steered([Repeated(Chain([build_layer(row) for row in layer.branches[0]])) for _ in range(a["times"])])
    return _simple(layer)


def build(spec: NetSpec, device: str = "cpu", seed: int = 0) -> nn.Module:
    """The network ``spec`` describes, with seeded weights on ``device`` (none allocated on meta)."""
    torch.manual_seed(seed)
    with torch.device(device):
        model = Chain([build_layer(layer) for layer in spec.layers])
    if spec.eval_mode:
        model.eval()
    return model
