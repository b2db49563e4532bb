"""Latency prediction before running (issue 24): a device profile (measured microbenchmarks, or a GPU datasheet) and
a per-op latency model summed per layer.

- ``kinds.py``: which kernel kind an aten op record is, and the shape features its efficiency depends on (pure).
- ``model.py``: time = overhead + max(compute, memory) per op, rolled up per layer (pure; torch-free).
- ``profile.py``: the ``archcost.device-profile/1`` document: load, check, save, resolve a name.
- ``measure.py``: the microbenchmarks and the fit (the only module here that times anything).
- ``specs.py`` + ``gpu_specs.json``: datasheet profiles of GPUs, each figure cited.
"""
