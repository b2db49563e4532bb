"""The ``archcost.device-profile/1`` document: what a device was measured (or specified) to do, and the fitted
parameters of the latency model. Torch-free, except :func:`resolve` measuring this machine when asked for ``cpu``
and none is saved.

Fields: ``schema``, ``source`` (``measured`` or ``spec``), ``name``, ``device``, ``machine``, ``torch``, ``threads``,
``dtype``, ``created``, ``measurements`` (every microbenchmark: kind, shape, MACs, bytes, seconds), ``networks`` (the
generated networks timed last: name, MACs, predicted parts, pass medians, measured_ms) and ``model``
(``peak_macs_per_s``, ``bandwidth_bytes_per_s``, ``module_overhead_s``, ``kinds`` {kind: overhead_s, efficiency or
bandwidth_fraction}, ``in_network_factors`` {compute, memory, overhead}), the part :mod:`archcost.predict.model` reads.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from archcost.errors import UsageError
from archcost.json_file import read_json
from archcost.predict.kinds import ALL_KINDS

SCHEMA = "archcost.device-profile/1"
SCHEMA_NAME = SCHEMA.split("/")[0]
MEASURED_NAME = "cpu"


class ProfileWarning(UserWarning):
    """A profile measured elsewhere or otherwise (another schema version, torch or thread count) than this run."""


def default_path(base: Path, device: str = "cpu", threads: int | None = None, dtype: str = "float32") -> Path:
    """Where ``archcost profile`` saves by default: ``<cache dir>/profiles/<device>-<threads>t-<dtype>.json``."""
    suffix = f"-{threads}t" if threads is not None else ""
    return base / "profiles" / f"{device}{suffix}-{dtype}.json"


def load(path: Path) -> dict[str, Any]:
    """A profile document from ``path``; one UsageError when it is not one (unreadable, not JSON, no model)."""
    document = read_json(path, "profile")
    if not isinstance(document, dict) or not str(document.get("schema", "")).startswith(SCHEMA_NAME):
        found = document.get("schema") if isinstance(document, dict) else type(document).__name__
        raise UsageError(f"{path} is not a device profile (schema {found!r}, expected {SCHEMA})")
    missing = _missing_model_fields(document)
    if missing:
        raise UsageError(f"profile {path} lacks {', '.join(missing)}; measure it again with archcost profile")
    return document


def _missing_model_fields(document: dict[str, Any]) -> list[str]:
    model = document.get("model")
    if not isinstance(model, dict):
        return ["model"]
    missing = [f"model.{k}" for k in ("peak_macs_per_s", "bandwidth_bytes_per_s", "kinds") if k not in model]
    kinds: dict[str, Any] = model["kinds"] if isinstance(model.get("kinds"), dict) else {}
    return missing + [f"model.kinds.{k}" for k in ALL_KINDS if "kinds" in model and k not in kinds]


def differences(document: dict[str, Any], *, torch_version: str, threads: int | None) -> list[str]:
    """What differs between the profile and this run: schema version, torch version, CPU thread count."""
    found = []
    if document.get("schema") != SCHEMA:
        found.append(f"schema {document.get('schema')} (this archcost reads {SCHEMA})")
    if document.get("source") == "measured":
        if document.get("torch") != torch_version:
            found.append(f"torch {document.get('torch')} (this run: {torch_version})")
        if threads is not None and document.get("device") == "cpu" and document.get("threads") != threads:
            found.append(f"{document.get('threads')} threads (this run: {threads})")
    return found


def warn_differences(document: dict[str, Any], where: str, found: list[str]) -> None:
    if found:
        warnings.warn(ProfileWarning(f"profile {where} was measured with {'; '.join(found)}: its predictions may "
                                     "not hold"), stacklevel=3)


def save(document: dict[str, Any], path: Path) -> None:
    from archcost.writes import write_file

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_file(Path(path), json.dumps(document, indent=1) + "\n")


def summary(document: dict[str, Any], where: str) -> dict[str, Any]:
    """What ``provenance.device_profile`` records of the profile a prediction used."""
    return {"name": document.get("name"), "source": document.get("source"), "where": where,
            "device": document.get("device"), "dtype": document.get("dtype"), "threads": document.get("threads"),
            "torch": document.get("torch"), "machine": document.get("machine"), "schema": document.get("schema")}
