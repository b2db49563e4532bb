"""Op classes and counting conventions: closed sets, checked at the entry point. Torch-free."""

from __future__ import annotations

from enum import StrEnum


class OpClass(StrEnum):
    """What kind of arithmetic an aten op performs; every counted op belongs to exactly one class per term."""

    MACS = "macs"  # multiply-accumulates: conv, conv-transpose, linear, mm/addmm/bmm/baddbmm (matmul, einsum)
    ADDS = "adds"  # additions and subtractions, bias adds, residual sums, average-pool accumulation
    MULS = "muls"  # elementwise products: SE scaling, highway gating
    CMPS = "cmps"  # comparisons: relu, clamp, max-pool windows
    DIVS = "divs"  # divisions: averages
    EXPS = "exps"  # transcendental: sigmoid, softmax, silu, tanh
    NORM = "norm"  # batch/layer/group norm, costed per element as fvcore does (see formulas.norm_ops)
    NONE = "none"  # no arithmetic: views, cat, copies, padding, dropout at inference


ARITHMETIC_CLASSES: tuple[OpClass, ...] = tuple(c for c in OpClass if c is not OpClass.NONE)


class Convention(StrEnum):
    """Which op classes make the headline ``ops`` figure.

    - ``paper``: conv + linear MACs, biases not counted: the convention of the GoogLeNet, ResNet and EfficientNet
      papers and of torchvision's published figures. Papers' "FLOPs", "ops" and "multiply-adds" are these MACs.
    - ``fvcore``: what fvcore's default handles total (MACs, norm layers, adaptive average pooling), so the two tools
      agree exactly.
    - ``full``: every class, one op per MAC, add, multiply, comparison, division or transcendental.
    """

    PAPER = "paper"
    FVCORE = "fvcore"
    FULL = "full"


class Backend(StrEnum):
    NATIVE = "native"
    FVCORE = "fvcore"
    TORCH = "torch"


class Device(StrEnum):
    """Where the forward runs. ``auto`` (the default) is meta, except that a model outside the registry whose forward
    needs tensor values there (``nonzero``, ``.item()``) is analysed again on CPU with random weights and a fixed seed;
    an explicit ``meta`` stays strict."""

    AUTO = "auto"
    META = "meta"
    CPU = "cpu"
    CUDA = "cuda"
