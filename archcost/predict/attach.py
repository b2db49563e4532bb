"""``analyze(..., predict=PROFILE)``: resolve the profile, predict every op, and add the figures to the analysis.

Adds the row columns ``predicted_ms`` (inclusive of children), ``bound`` (compute, memory or overhead) and the three
parts ``predicted_compute_ms``, ``predicted_memory_ms``, ``predicted_overhead_ms``; ``totals.predicted_ms``;
``provenance.device_profile`` (the profile's name, ``source`` measured or spec, where it came from, and what differs
from this run) and one note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archcost.errors import UsageError
from archcost.predict import profile as profiles
from archcost.predict.model import layer_predictions, predict_records


def known_names() -> list[str]:
    from archcost.predict.specs import spec_names

    return [profiles.MEASURED_NAME, *spec_names()]


def resolve(reference: Any, *, dtype: str, threads: int | None) -> tuple[dict[str, Any], str, list[str]]:
    """(profile document, where it came from, notes) for ``reference``: ``cpu`` (this machine's saved profile,
    measured and saved first when there is none), a GPU datasheet name, a profile file, or a document."""
    from archcost.predict.specs import spec_names, spec_profile

    if isinstance(reference, dict) and "schema" not in reference and "kinds" in reference:
        # The model part alone (model.py's parameters): nothing measured to compare with this run.
        return {"schema": profiles.SCHEMA, "source": "given", "name": "given", "model": reference}, "given", []
    if isinstance(reference, dict):
        return reference, "given", []
    text = str(reference)
    if text in spec_names():
        return spec_profile(text, dtype), f"spec:{text}", []
    if text == profiles.MEASURED_NAME:
        return _this_machine(dtype, threads)
    path = Path(text)
    if not path.is_file():
        raise UsageError(f"unknown profile {text!r}: give a profile file or one of {', '.join(known_names())}")
    return profiles.load(path), str(path), []


def _this_machine(dtype: str, threads: int | None) -> tuple[dict[str, Any], str, list[str]]:
    from archcost.cache import base_directory

    path = profiles.default_path(base_directory(), "cpu", threads, dtype)
    if path.is_file():
        return profiles.load(path), str(path), []
    from archcost.predict.measure import measure_profile

    document = measure_profile(device="cpu", threads=threads, dtype=dtype)
    profiles.save(document, path)
    return document, str(path), [f"No saved profile of this CPU at {threads} threads and {dtype}: measured one "
                                 f"first and saved it to {path}."]


def attach(analysis: Any, reference: Any) -> None:
    """Predict ``analysis`` (a fresh one: it needs its op records) under profile ``reference``, in place."""
    import torch

    if analysis.records is None:
        raise UsageError("a prediction needs the analysis' op records; analyse again (not from the result cache)")
    threads = torch.get_num_threads()
    document, where, notes = resolve(reference, dtype=analysis.dtype, threads=threads)
    differs = profiles.differences(document, torch_version=torch.__version__, threads=threads)
    profiles.warn_differences(document, where, differs)
    model = document["model"]
    names = analysis.columns["name"]
    layers = layer_predictions(names, analysis.columns["calls"], predict_records(analysis.records, model), model)
    # In the order columns.py declares them.
    analysis.add_columns(
        predicted_ms=[r["predicted_ms"] for r in layers], predicted_compute_ms=[r["compute_ms"] for r in layers],
        predicted_memory_ms=[r["memory_ms"] for r in layers], predicted_overhead_ms=[r["overhead_ms"] for r in layers],
        bound=[r["bound"] for r in layers])
    analysis.totals["predicted_ms"] = layers[0]["predicted_ms"]
    analysis.totals["predicted_bound"] = layers[0]["bound"]
    analysis.provenance["device_profile"] = {**profiles.summary(document, where), "differs": differs}
    analysis.provenance.setdefault("notes", []).extend([*notes, _note(document, where, differs)])


def _note(document: dict[str, Any], where: str, differs: list[str]) -> str:
    if document.get("source") == "spec":
        head = (f"Predicted ms: spec profile {document['name']} ({document['machine']}, {document['dtype']}; "
                f"datasheet peak and bandwidth, default efficiencies, not measurements).")
    elif document.get("source") == "measured":
        head = (f"Predicted ms: measured profile {where} ({document.get('threads')} threads, {document.get('dtype')}, "
                f"torch {document.get('torch')}).")
    else:
        head = "Predicted ms: a profile given by the caller."
    tail = f" It differs from this run: {'; '.join(differs)}." if differs else ""
    factors = document["model"].get("in_network_factors")
    scaled = (f", its terms times the profile's in-network factors (compute {factors['compute']:.2f}, memory "
              f"{factors['memory']:.2f}, overhead {factors['overhead']:.2f})" if factors else "")
    return head + f" Per op: overhead + max(MACs / (peak x efficiency), bytes / bandwidth){scaled}." + tail
