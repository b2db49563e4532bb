"""Published configurations of torchvision and timm models, and their native inputs.

``torchvision:NAME`` is the architecture its DEFAULT weights describe, without those weights: the builder is called
with ``weights=<DEFAULT>`` while loading a state dict is made to load nothing, so every argument the weights set
(classes, ``image_size``, ``transform_input``, frozen batch norm and trainable layers for detection, ``aux_loss`` for
segmentation) and everything the builder does after loading (GoogLeNet and Inception v3 drop their auxiliary heads,
detection sets FrozenBatchNorm2d's eps) runs exactly as torchvision publishes it. Any download is refused while the
builder runs. The native input is the weights' evaluation crop. ``timm:NAME`` is ``create_model(pretrained=False)``
at its pretrained configuration's ``input_size``.

Torch-free at import: torch, torchvision and timm are imported by the caller (resolve.py) or when a builder runs.
"""

from __future__ import annotations

import re
import sys
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from archcost.errors import ArchcostError, Option, UsageError, literal


@dataclass(frozen=True)
class Published:
    """What resolve.py needs to build a published model and feed it its native input."""

    builder: Callable[..., Any]
    input_shape: tuple[int, int, int] | None  # native C, H, W when the input is one image
    example_shapes: tuple[tuple[int, ...], ...]  # full shapes, batch 1, one per positional forward argument
    input_source: str
    config: dict[str, Any] = field(default_factory=dict)  # filled by the builder: the arguments the weights set


class DownloadRefused(ArchcostError):
    """A builder tried to fetch something while archcost built it: archcost never downloads."""


# Video weights are evaluated on clips; torchvision's published ops are those of a 16-frame clip at the crop size.
VIDEO_FRAMES = 16
# Detection and optical-flow weights set no input size. Detection models resize every image to their own working size
# inside the forward (GeneralizedRCNNTransform: 800 for the R-CNNs, RetinaNet and FCOS, 320 for the *_320_fpn models;
# SSD 300, SSDlite 320), so the input only sets the aspect ratio: a 224x224 image, the input at which torchvision's
# published _ops are reproduced (SSD300: 34.858, Faster R-CNN: 134.38 GMACs). RAFT takes two frames; its published
# _ops are those of two 512x512 frames (raft_large 211.007, raft_small 47.655 GMACs, measured with FlopCounterMode).
DETECTION_SIZE = (224, 224)
OPTICAL_FLOW_SIZE = (512, 512)


def _family(builder: Callable[..., Any]) -> str:
    parts = builder.__module__.split(".")  # torchvision.models[.family].file
    return parts[2] if len(parts) > 3 else "classification"


def _pair(size: Any) -> tuple[int, int]:
    values = [int(v) for v in (size if isinstance(size, (list, tuple)) else [size])]
    return (values[0], values[-1])


def _native(family: str, weights: Any) -> tuple[tuple[tuple[int, ...], ...], str]:
    label = f"torchvision {type(weights).__name__}.DEFAULT"
    transforms = weights.transforms()
    if family == "classification":
        h, w = _pair(transforms.crop_size)
        return ((1, 3, h, w),), f"{label} transforms (crop_size={h if h == w else f'{h}x{w}'})"
    if family == "video":
        h, w = _pair(transforms.crop_size)
        return ((1, 3, VIDEO_FRAMES, h, w),), f"{label} transforms (crop_size={h}x{w}), {VIDEO_FRAMES} frames"
    if family == "segmentation":
        side = _pair(transforms.resize_size)[0]
        return ((1, 3, side, side),), f"{label} transforms (resize_size={side}), a square {side}x{side} image"
    if family == "detection":
        h, w = DETECTION_SIZE
        return ((1, 3, h, w),), (f"a {h}x{w} image, resized by the model to its own size ({type(weights).__name__}"
                                 f".DEFAULT sets no input size; torchvision's published ops are reproduced at it)")
    if family == "optical_flow":
        h, w = OPTICAL_FLOW_SIZE
        return ((1, 3, h, w), (1, 3, h, w)), (f"two {h}x{w} frames ({type(weights).__name__}.DEFAULT sets no input "
                                              f"size; torchvision's published ops are those of this pair)")
    raise UsageError(f"torchvision family {family!r} has no published input here")


@contextmanager
def _set_attr(target: Any, name: str, value: Any) -> Iterator[None]:
    original = target.__dict__[name] if isinstance(target, type) else getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, original)


def _refuse(*args: Any, **kwargs: Any) -> Any:
    url = next((a for a in args if isinstance(a, str)), kwargs.get("url", "a file"))
    raise DownloadRefused(f"the builder tried to download {url}; archcost builds models without weights")


@contextmanager
def no_downloads() -> Iterator[None]:
    """Refuse every download torch.hub or torchvision would start while the block runs."""
    import torch.hub
    from torchvision.models import _api

    with ExitStack() as stack:
        for target, name in ((torch.hub, "load_state_dict_from_url"), (torch.hub, "download_url_to_file"),
                             (_api, "load_state_dict_from_url")):
            if hasattr(target, name):
                stack.enter_context(_set_attr(target, name, _refuse))
        yield


@contextmanager
def _load_nothing() -> Iterator[None]:
    """Weights give an empty state dict and loading it changes nothing: the builder keeps its fresh tensors."""
    import torch
    from torchvision.models import WeightsEnum

    from archcost.torch_compat import incompatible_keys

    def empty_state_dict(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {}

    def load_nothing(self: Any, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        return incompatible_keys([], [])

    with _set_attr(WeightsEnum, "get_state_dict", empty_state_dict), \
            _set_attr(torch.nn.Module, "load_state_dict", load_nothing):
        yield


@contextmanager
def _recording(module: Any, config: dict[str, Any]) -> Iterator[None]:
    """Record the arguments the weights set, through torchvision's own helpers in the builder's module."""
    spies: dict[str, Callable[..., Any]] = {}
    original_named = getattr(module, "_ovewrite_named_param", None)
    original_value = getattr(module, "_ovewrite_value_param", None)
    original_layers = getattr(module, "_validate_trainable_layers", None)
    if original_named is not None:
        def named(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
            original_named(kwargs, param, new_value)
            config[param] = new_value
        spies["_ovewrite_named_param"] = named
    if original_value is not None:
        def value(param: str, actual: Any, expected: Any) -> Any:
            config[param] = original_value(param, actual, expected)
            return config[param]
        spies["_ovewrite_value_param"] = value
    if original_layers is not None:
        def layers(*args: Any, **kwargs: Any) -> int:
            config["trainable_backbone_layers"] = original_layers(*args, **kwargs)
            return config["trainable_backbone_layers"]
        spies["_validate_trainable_layers"] = layers
    with ExitStack() as stack:
        for name, spy in spies.items():
            stack.enter_context(_set_attr(module, name, spy))
        yield


def _published_build(name: str, builder: Callable[..., Any], weights: Any, config: dict[str, Any],
                     overrides: dict[str, Any]) -> Any:
    config.clear()
    config["weights"] = f"{type(weights).__name__}.{weights.name}"
    with no_downloads(), _load_nothing(), _recording(sys.modules[builder.__module__], config):
        try:
            model = builder(weights=weights, **overrides)
        except ValueError as error:
            if "expected value" not in str(error):
                raise
            raise UsageError(f"torchvision:{name}'s published configuration fixes that argument "
                             f"({literal(str(error))}); "
                             "add $overrides to build torchvision's untrained default instead",
                             Option("overrides", "weights=None")) from None
    for attribute in ("aux_logits", "transform_input"):  # what the model holds once the builder is done
        if isinstance(getattr(model, attribute, None), bool):
            config[attribute] = getattr(model, attribute)
    if any(type(m).__name__ == "FrozenBatchNorm2d" for m in model.modules()):  # detection's pretrained backbone
        config["norm_layer"] = "FrozenBatchNorm2d"
    config.update(overrides)
    return model


def torchvision_model(models: Any, name: str) -> Published:
    """The published configuration of ``torchvision:NAME`` (``models`` is ``torchvision.models``)."""
    try:
        builder = models.get_model_builder(name)
    except ValueError:
        import difflib

        close = difflib.get_close_matches(name, models.list_models(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"torchvision has no model {name!r}{hint}") from None
    family = _family(builder)
    if family == "quantization":
        plain = name.removeprefix("quantized_")
        raise UsageError(f"torchvision:{name} is a quantized (int8) model, which archcost does not count; "
                         f"its float architecture is torchvision:{plain}")
    enum = models.get_model_weights(name)
    weights = enum.DEFAULT
    shapes, source = _native(family, weights)
    config: dict[str, Any] = {}

    def build(**overrides: Any) -> Any:
        chosen = overrides.pop("weights", weights)  # --set weights=...: another published configuration
        if chosen is None:  # torchvision's untrained default, which must not fetch a backbone either
            if family in ("segmentation", "detection"):
                overrides.setdefault("weights_backbone", None)
            config.clear()
            config.update(weights=None, **overrides)
            with no_downloads():
                return builder(weights=None, **overrides)
        return _published_build(name, builder, enum.verify(chosen), config, overrides)

    build.__wrapped__ = builder  # type: ignore[attr-defined]  # inspect.signature shows torchvision's arguments
    input_shape = shapes[0][1:] if len(shapes) == 1 and len(shapes[0]) == 4 else None
    return Published(build, input_shape, shapes, source, config)  # type: ignore[arg-type]


_TIMM_NAME = re.compile(r"^[\w.\-]+$")


def timm_model(timm: Any, name: str) -> Published:
    """``timm:NAME`` without pretrained weights, at its pretrained configuration's input size."""
    if not _TIMM_NAME.match(name) or not timm.is_model(name.partition(".")[0]):
        import difflib

        close = difflib.get_close_matches(name, timm.list_models(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"timm has no model {name!r}{hint}")
    cfg = timm.models.get_pretrained_cfg(name)
    size = tuple(int(d) for d in cfg.input_size) if cfg is not None and cfg.input_size else (3, 224, 224)
    tag = f".{cfg.tag}" if cfg is not None and cfg.tag else ""
    source = (f"timm pretrained_cfg {name.partition('.')[0]}{tag} input_size={'x'.join(map(str, size))}"
              if cfg is not None else "timm has no pretrained_cfg: 3x224x224 assumed")

    def build(**overrides: Any) -> Any:
        return timm.create_model(name, pretrained=False, **overrides)

    return Published(build, size, ((1, *size),), source, {"pretrained": False})  # type: ignore[arg-type]
