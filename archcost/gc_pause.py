"""``gc_paused``: no cyclic garbage collection while a model is built and traced.

After ``import torch`` the interpreter tracks about 300,000 objects, and every full collection walks all of them.
Building and tracing a deep network allocates enough modules, tensors and records to set off several full
collections: on ResNet-1202 they took more time than the build itself. What an analysis allocates is freed by
reference counting (module trees and records hold no cycles), so pausing the collector changes nothing but the time.
The caller's setting is restored on the way out, also on error.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
