"""archcost: what a convolutional network costs, layer by layer, counted exactly on PyTorch's meta device.

The package imports nothing heavy (torch, pandas, matplotlib) until an attribute that needs it is used.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Analysis", "__version__", "analyze", "bench", "build", "list_architectures", "reproduce"]

# archcost.bench(...) and archcost.reproduce(target) are plain functions (DESIGN section 4); their code lives in the
# packages timing/ and reproduction/, named apart so that importing one of them never rebinds the function's name.


def __getattr__(name: str) -> Any:
    if name == "analyze":
        from archcost.analysis import analyze

        return analyze
    if name == "Analysis":
        from archcost.result import Analysis  # torch-free

        return Analysis
    if name == "build":
        from archcost.zoo.resolve import build

        return build
    if name == "bench":
        from archcost.timing import bench

        return bench
    if name == "reproduce":
        from archcost.reproduction import reproduce

        return reproduce
    if name == "list_architectures":
        from archcost.zoo.registry import list_architectures

        return list_architectures
    raise AttributeError(f"module 'archcost' has no attribute {name!r}")
