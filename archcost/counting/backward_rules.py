"""Costs of the aten ops only a backward pass emits, registered with the forward rules when counting/rules.py loads.

rules.py imports this module, so the table is whole before any analysis runs: an inference analysis of a model
whose forward calls F.cross_entropy counts nll_loss_forward whether or not a training analysis ran first.

Ops that return several gradients under an ``output_mask`` (convolution, the norms) are costed per gradient, so
:func:`split` can say which part computes the gradient with respect to the input and which the parameters'. A
gradient the mask does not request costs nothing: the first convolution of a network, whose input needs no gradient,
skips its grad-input convolution. Non-MAC backward ops are costed per element of the gradient they produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archcost.counting import formulas as f
from archcost.counting.opclass import OpClass
from archcost.counting.rule_table import Terms, rule

Split = tuple[Terms, Terms]


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(t.shape)


def _convolution_backward(args: Sequence[Any], kwargs: dict[str, Any]) -> Split:
    # (grad_output, input, weight, bias_sizes, stride, padding, dilation, transposed, output_padding, groups, mask)
    grad_out, x, w = args[0], args[1], args[2]
    transposed, groups, mask = bool(args[7]), int(args[9]), list(args[10])
    # grad_input is the transposed convolution of grad_output with the weight; grad_weight correlates the input with
    # grad_output: each takes as many multiply-accumulates as the forward convolution, groups included.
    macs = f.conv_macs(_shape(x), _shape(w), _shape(grad_out), transposed=transposed, groups=groups)
    c_out = grad_out.shape[1]
    weight_terms: list[f.Term] = [macs] if mask[1] else []
    if mask[2]:
        weight_terms.append(f.reduction_adds(_shape(grad_out), (c_out,)))
    return ((macs,) if mask[0] else ()), tuple(weight_terms)


def _norm_backward(x_shape: tuple[int, ...], mask: list[bool], affine: bool, statistics: bool) -> Split:
    """grad_bias = sum(g), grad_weight = sum(g * x_hat) over the normalised dims; grad_input with statistics
    (training batch norm, layer/group norm) is scale * (g - mean(g) - x_hat * mean(g * x_hat)): 4 elementwise ops
    per element plus the two reductions it shares with the parameter gradients, else (frozen statistics) g * scale."""
    weight: list[f.Term] = []
    if affine and mask[1]:
        weight.append(f.elementwise(OpClass.MULS, x_shape, 2))  # x_hat and g * x_hat
        weight.append(f.elementwise(OpClass.ADDS, x_shape, 2))  # centring x and the sum
    if affine and mask[2]:
        weight.append(f.elementwise(OpClass.ADDS, x_shape))
    inputs: Terms = ()
    if mask[0]:
        inputs = ((f.elementwise(OpClass.MULS, x_shape, 3), f.elementwise(OpClass.ADDS, x_shape, 4)) if statistics
                  else (f.elementwise(OpClass.MULS, x_shape),))
    return inputs, tuple(weight)


def split(name: str, args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Split | None:
    """The (grad-input, grad-weight) terms of a masked backward op, or None for an op that is one or the other."""
    if name == "convolution_backward":
        return _convolution_backward(args, kwargs)
    if name == "native_batch_norm_backward":
        # (grad_out, input, weight, running_mean, running_var, save_mean, save_invstd, train, eps, mask)
        return _norm_backward(_shape(args[1]), list(args[9]), args[2] is not None, bool(args[7]))
    if name == "native_layer_norm_backward":
        # (grad_out, input, normalized_shape, mean, rstd, weight, bias, mask)
        return _norm_backward(_shape(args[1]), list(args[7]), args[5] is not None, True)
    if name == "native_group_norm_backward":
        # (grad_out, input, mean, rstd, weight, N, C, HxW, group, mask)
        return _norm_backward(_shape(args[1]), list(args[9]), args[4] is not None, True)
    return None


def _masked(name: str) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        inputs, weights = split(name, args, kwargs, out)  # type: ignore[misc]
        return inputs + weights

    return count


for _name in ("convolution_backward", "native_batch_norm_backward", "native_layer_norm_backward",
              "native_group_norm_backward"):
    rule(_name)(_masked(_name))


def _free(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return ()


def _per_output(op_class: OpClass, per_element: int = 1) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        first = out[0] if isinstance(out, (tuple, list)) else out
        return (f.elementwise(op_class, _shape(first), per_element),)

    return count


def _per_grad_output(op_class: OpClass) -> Any:
    """A pooling backward scatters each gradient of the output into the input: one add per output gradient tap."""
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        return (f.elementwise(op_class, _shape(args[0])),)

    return count


_ELEMENTWISE_BACKWARD = {
    # relu's backward selects the gradient where the input was positive: one comparison per element.
    "threshold_backward": (OpClass.CMPS, 1),
    "hardtanh_backward": (OpClass.CMPS, 2),
    "leaky_relu_backward": (OpClass.CMPS, 1),
    "sigmoid_backward": (OpClass.MULS, 2),  # g * y * (1 - y): two products (and a subtraction)
    "tanh_backward": (OpClass.MULS, 2),
    "silu_backward": (OpClass.EXPS, 1),
    "gelu_backward": (OpClass.EXPS, 1),
    "hardswish_backward": (OpClass.MULS, 1),
    "hardsigmoid_backward": (OpClass.MULS, 1),
    "elu_backward": (OpClass.EXPS, 1),
    "_log_softmax_backward_data": (OpClass.EXPS, 1),
    "nll_loss_backward": (OpClass.NONE, 0),  # writes -1/N at the target positions: no arithmetic per element
    "avg_pool2d_backward": (OpClass.ADDS, 1),
    "avg_pool3d_backward": (OpClass.ADDS, 1),
    "_adaptive_avg_pool2d_backward": (OpClass.DIVS, 1),
    "_adaptive_avg_pool3d_backward": (OpClass.DIVS, 1),
}

for _name, (_class, _per) in _ELEMENTWISE_BACKWARD.items():
    rule(_name)(_per_output(_class, _per) if _per else _free)

for _name in ("max_pool2d_with_indices_backward", "max_pool3d_with_indices_backward",
              "adaptive_max_pool2d_backward", "adaptive_max_pool3d_backward"):
    rule(_name)(_per_grad_output(OpClass.ADDS))


def _nll_loss_forward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # Picks -log p[target] for each of the N rows and averages them: N - 1 adds and one division.
    n = int(args[0].shape[0]) if args[0].dim() > 1 else 1
    return (f.elementwise(OpClass.ADDS, (max(n - 1, 0),)), f.elementwise(OpClass.DIVS, (1,)))


rule("nll_loss_forward", "nll_loss2d_forward")(_nll_loss_forward)

# The backward of a slice or select writes the gradient into a zero tensor of the input's shape: data movement only.
for _name in ("slice_backward", "select_backward", "expand_backward", "unsqueeze_backward", "_unsafe_view_backward"):
    rule(_name)(_free)
