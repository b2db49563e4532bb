"""``archcost table ARCH``: the per-layer cost tree of one network."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from archcost.cli.app import app
from archcost.cli.options import (BatchOption, FormatOption, InputOption, OutOption, SetOption, builder_arguments,
                                  input_argument)
from archcost.cli.output import check_writable, emit
from archcost.cli.train import Mode, train_table
from archcost.counting.opclass import Backend, Convention, Device
from archcost.training.optimizers import Optimizer
from archcost.render import Column, Format, decimal, integer, percent, to_csv, to_json, to_markdown, to_rich

OTHER_CLASSES = ("adds", "muls", "cmps", "divs", "exps", "norm")


def _shape(value: Any) -> str:
    return "" if not value else "x".join(map(str, value))


def _columns(convention: Convention, flops: bool, backend: Backend) -> list[Column]:
    columns = [
        Column("layer", "layer", "left"),
        Column("type", "type", "left"),
        Column("kernel", "k/s", "left"),
        Column("input_shape", "input", show=_shape),
        Column("output_shape", "output", show=_shape),
        Column("params", "params", show=integer),
        Column("macs", "MACs", show=integer),
        Column("macs_percent", "% MACs", show=percent),
    ]
    if flops:
        columns.append(Column("flops", "FLOPs (2xMAC)", show=integer))
    if convention is not Convention.PAPER:
        columns.append(Column("ops", f"ops ({convention.value})", show=integer))
    columns += [
        Column("other_ops", "other ops", show=integer),
        Column("activations", "activations", show=integer),
        Column("intensity_flops_per_byte", "FLOP/byte", show=lambda v: decimal(v, 1)),
    ]
    if backend is not Backend.NATIVE:
        columns += [Column("backend", backend.value, show=integer), Column("backend_diff", "diff", show=integer)]
    return columns


def _display_rows(analysis: Any, depth: int | None, cross: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for row in analysis.rows:
        if depth is not None and row["depth"] > depth:
            continue
        shown = dict(row)
        leaf = row["name"].rpartition(".")[2] if row["name"] else analysis.model
        shown["layer"] = "  " * row["depth"] + leaf
        shown["other_ops"] = sum(row[k] for k in OTHER_CLASSES)
        shown["flops"] = 2 * row["macs"]
        if cross is not None:
            shown["backend"] = cross["layers"].get(row["name"], 0)
            shown["backend_diff"] = shown["backend"] - cross["native_layers"].get(row["name"], 0)
        rows.append(shown)
    return rows


def _explain(analysis: Any, layer: str, format: Format, out: Any) -> None:
    ops = analysis.explain(layer)
    if format is Format.JSON:
        emit(to_json({"schema": "archcost.explain/1", "model": analysis.model, "layer": layer,
                      "convention": analysis.convention.value, "ops": ops}), out)
        return
    rows = []
    for op in ops:
        terms = op["terms"]
        if terms is None:
            rows.append({**op, "shapes": ", ".join(op["shapes"]), "class": "UNCOUNTED", "explanation": "no rule"})
            continue
        for term in terms or [{"class": "none", "explanation": "moves data only", "count": 0, "in_convention": False}]:
            rows.append({"module": op["module"], "op": op["op"], "shapes": ", ".join(op["shapes"]),
                         "class": term["class"], "explanation": term["explanation"],
                         "counted": "yes" if term["in_convention"] else ""})
    columns = [Column("module", "module", "left"), Column("op", "aten op", "left"),
               Column("shapes", "argument shapes", "left"), Column("class", "class", "left"),
               Column("explanation", "formula = dimensions = count", "left"),
               Column("counted", f"in '{analysis.convention.value}'", "left")]
    if format is Format.CSV:
        emit(to_csv(rows, columns), out)
    elif format is Format.MARKDOWN:
        emit(to_markdown(rows, columns, title=f"{analysis.model}: {layer}"), out)
    else:
        emit(to_rich(rows, columns, title=f"{analysis.model} — {layer or 'whole model'}: every op, by hand"), out)


@app.command("table")
def table_command(
    arch: Annotated[str, typer.Argument(help="Registry name, torchvision:NAME, timm:NAME or package.module:callable.")],
    input: InputOption = None,
    batch: BatchOption = None,
    sets: SetOption = None,
    depth: Annotated[Optional[int], typer.Option("--depth", "-d", help="Deepest module level shown "
                                                 "(default 2 for table/markdown, all for csv/json).")] = None,
    convention: Annotated[Convention, typer.Option(help="Which op classes make the 'ops' figure.")] = Convention.PAPER,
    device: Annotated[Device, typer.Option(help="auto: meta (allocates nothing), and for a model outside the zoo "
                                           "whose forward needs values there (nonzero, nms, .item()) CPU with random "
                                           "weights and seed 0; meta: strict; cpu/cuda run real tensors.")]
    = Device.AUTO,
    backend: Annotated[Backend, typer.Option(help="Cross-check against torch.utils.flop_counter or fvcore.")]
    = Backend.NATIVE,
    dtype: Annotated[str, typer.Option(help="float32, float16, bfloat16 or float64 (activation bytes).")] = "float32",
    explain: Annotated[Optional[str], typer.Option("--explain", help="Show every op of LAYER with its formula "
                                                   "and the dimensions substituted ('' for the whole model).")] = None,
    flops: Annotated[bool, typer.Option("--flops", help="Also show FLOPs (= 2 x MACs).")] = False,
    style: Annotated[Optional[str], typer.Option(help="'paper' lays GoogLeNet out as the paper's Table 1; "
                                                 "'keras' prints Keras-style parameter totals.")] = None,
    timed: Annotated[bool, typer.Option("--timed", help="Measure each layer's time on the real device "
                                        "(--device cpu or cuda) and show it beside its MACs.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Analyse again even if this machine has the "
                                           "result of the same request and code on disk.")] = False,
    mode: Annotated[Mode, typer.Option(help="inference: one forward pass; train: one training step (forward, "
                                       "loss, backward, optimizer step) on meta.")] = Mode.INFERENCE,
    optimizer: Annotated[Optimizer, typer.Option(help="The optimizer step of --mode train.")] = Optimizer.SGD,
    format: FormatOption = Format.TABLE,
    out: OutOption = None,
) -> None:
    """Per-layer parameters, MACs, other ops and activations of one network."""
    from archcost.errors import UsageError
    from archcost.shapes import parse_shape

    inputs = input_argument(input)  # a malformed shape fails before torch is imported
    for text in input or []:
        parse_shape(text, batch=batch)  # so does a --batch that contradicts one
    overrides = builder_arguments(sets, [arch])
    if depth is not None and depth < 0:
        raise UsageError("--depth must be 0 or more")
    if style not in (None, "keras", "paper"):
        raise UsageError(f"unknown --style {style!r}; choose paper or keras")
    if timed and device in (Device.META, Device.AUTO):
        raise UsageError("--timed measures real kernels: add --device cpu (or cuda)")
    if timed and len(input or []) > 1:
        raise UsageError("--timed feeds one input; give a single --input")
    if out is not None:
        check_writable(out)
    if mode == Mode.TRAIN:
        return train_table(arch, inputs, batch=batch, optimizer=optimizer.value, convention=convention.value,
                           dtype=dtype, depth=depth, format=format, out=out, overrides=overrides)

    # A registry network on meta, counted natively, is a pure function of the request and the code: a fresh process
    # can take it from the disk cache without importing torch (archcost/cache.py). A registry network is analysed on
    # meta under auto as under meta (its fallback is off); builder arguments (--set) are part of the key.
    cacheable = (not no_cache and device in (Device.META, Device.AUTO) and backend is Backend.NATIVE
                 and explain is None)
    key = _cache_key(arch, input or [], batch, convention, dtype, overrides) if cacheable else None
    analysis = _cached(key) if key is not None else None
    if analysis is None:
        from archcost.analysis import analyze

        analysis = analyze(arch, inputs, batch=batch, device=device.value, convention=convention.value,
                           backend=backend.value, dtype=dtype, **overrides)
        if key is not None:
            from archcost import cache

            cache.store(key, analysis.to_dict())
    if explain is not None:
        _explain(analysis, explain, format, out)
        return
    if style == "keras":
        _keras(analysis, format, out)
        return
    if style == "paper":
        _paper(analysis, format, out)
        return
    timing = _layer_timing(arch, analysis, device, overrides) if timed else None

    cross = analysis.cross_check
    if cross is not None:
        cross = dict(cross, native_layers=_native_layers(analysis, cross))
    shown_depth = depth if depth is not None else (2 if format in (Format.TABLE, Format.MARKDOWN) else None)
    rows = _display_rows(analysis, shown_depth, cross)
    columns = _columns(convention, flops, backend)
    if timing is not None:
        for row in rows:
            row["measured_ms"] = timing.times_ms.get(row["name"])
        columns.insert(columns.index(next(c for c in columns if c.key == "macs_percent")) + 1,
                       Column("measured_ms", "ms (measured)", show=lambda v: decimal(v, 3)))
    totals = analysis.totals
    if format is Format.JSON:
        document = analysis.to_dict()
        if depth is not None:
            document["layers"] = [r for r in document["layers"] if r["depth"] <= depth]
        if timing is not None:
            for layer in document["layers"]:
                layer["measured_ms"] = timing.times_ms.get(layer["name"])
            document["timing"] = _timing_note(timing)
        emit(to_json(document), out)
        return
    if format is Format.CSV:
        fallback = analysis.provenance.get("fallback")
        if fallback is not None:  # a CSV has no notes: every row says where it was counted and why
            for row in rows:
                row.update(device=analysis.device, fallback=f"{fallback['reason']}; seed {fallback['seed']}")
        keys = [c for c in rows[0] if c not in ("layer",)]
        emit(to_csv(rows, [Column(k, k) for k in keys]), out)
        return
    notes = _notes(analysis)
    if timing is not None:
        notes.append(_timing_line(timing))
    if format is Format.MARKDOWN:
        emit(to_markdown(rows, columns, title=_title(analysis), notes=notes), out)
        return
    footer = {"layer": "total", "params": totals["params"], "macs": totals["macs"], "macs_percent": 100.0,
              "flops": 2 * totals["macs"], "ops": totals["ops"],
              "other_ops": sum(totals[k] for k in OTHER_CLASSES), "activations": totals["activations"]}
    if cross is not None:
        footer.update(backend=cross["total"], backend_diff=cross["difference"])
    emit(to_rich(rows, columns, title=_title(analysis), caption="\n".join(notes), footer=footer), out)


def _cache_key(arch: str, input: list[str], batch: int | None, convention: Convention, dtype: str,
               config: dict[str, Any] | None = None) -> str | None:
    """The disk cache's key of this request, or None when it is not a registry network (``config``: ``--set``)."""
    from archcost import cache
    from archcost.errors import ArchcostError
    from archcost.zoo import registry

    try:
        entry = registry.get(arch)
    except ArchcostError:
        return None  # not a registry name: the analysis says what is wrong with it
    # The key is archcost/cache.py's; a registry network is analysed on meta under auto as under meta.
    return cache.analysis_key("disk", network=entry.name, inputs=cache.input_identity(input, batch), batch=batch,
                              device="meta", convention=convention.value, dtype=dtype, config=config or {},
                              replay=True)


def _cached(key: str) -> Any:
    from archcost import cache
    from archcost.result import Analysis

    document = cache.load(key)
    if document is None:
        return None
    try:
        return Analysis.from_dict(document)
    except (KeyError, TypeError, ValueError, IndexError):
        return None  # written by something else: analyse again and overwrite it


def _native_layers(analysis: Any, cross: dict[str, Any]) -> dict[str, int]:
    from archcost.counting.backends import _inclusive, convention_total

    compared = Convention(cross["compared_with_convention"])
    return _inclusive(convention_total(analysis, compared), [r["name"] for r in analysis.rows])


def _title(analysis: Any) -> str:
    return (f"{analysis.model} — input {'x'.join(map(str, analysis.input_shape))}, {analysis.dtype}, "
            f"device {analysis.device}")


def _notes(analysis: Any) -> list[str]:
    from archcost.counting.conventions import DESCRIPTIONS

    t = analysis.totals
    notes = [
        f"MACs: multiply-accumulates (FLOPs = 2 x MACs). Convention '{analysis.convention.value}': "
        f"{DESCRIPTIONS[analysis.convention]}; ops = {t['ops']:,}.",
        f"Parameters {t['params']:,} (trainable {t['trainable_params']:,}, frozen {t['frozen_params']:,}); "
        f"buffers {t['buffers']:,}; Keras-style total {t['keras_params']:,}.",
        f"Activations {t['activations']:,} elements ({t['activation_bytes']:,} bytes, leaf outputs); "
        f"peak live activations {t['peak_activation_bytes']:,} bytes.",
    ]
    if "expected_training_macs" in t:
        notes.append(f"Stochastic depth: expected training forward MACs {t['expected_training_macs']:,.0f} "
                     f"({100 * t['expected_training_macs'] / t['macs']:.1f}% of the full network).")
    notes.extend(analysis.provenance.get("notes", []))
    uncounted = analysis.uncounted_ops
    notes.append("Uncounted ops: " + (", ".join(f"aten.{k} x{v}" for k, v in uncounted.items()) if uncounted
                                      else "none (every op has a rule)."))
    if analysis.cross_check is not None:
        c = analysis.cross_check
        notes.append(f"Cross-check {c['backend']}: {c['total']:,} vs archcost '{c['compared_with_convention']}' "
                     f"{c['native_total']:,} (difference {c['difference']:,}).")
    return notes


def _keras(analysis: Any, format: Format, out: Any) -> None:
    t = analysis.totals
    figures = {
        "total_params": t["keras_params"],
        "trainable_params": t["trainable_params"],
        "non_trainable_params": t["keras_non_trainable_params"],
    }
    if format is Format.JSON:
        emit(to_json({"schema": "archcost.keras/1", "model": analysis.model, **figures}), out)
        return
    lines = [f"Total params: {figures['total_params']:,} ({figures['total_params'] * 4 / 2**20:.2f} MB)",
             f"Trainable params: {figures['trainable_params']:,} ({figures['trainable_params'] * 4 / 2**20:.2f} MB)",
             f"Non-trainable params: {figures['non_trainable_params']:,} "
             f"({figures['non_trainable_params'] * 4 / 2**10:.2f} KB)"]
    if format is Format.CSV:
        emit("quantity,value\n" + "".join(f"{k},{v}\n" for k, v in figures.items()), out)
    else:
        emit("\n".join(lines) + "\n", out)


def _paper(analysis: Any, format: Format, out: Any) -> None:
    from archcost.errors import UsageError
    from archcost.reproduce.googlenet import PAPER_STYLE_COLUMNS, paper_style_rows

    if not any(r["type"] == "Inception" for r in analysis.rows):
        raise UsageError(f"--style paper lays out GoogLeNet-family networks as the paper's Table 1; "
                         f"{analysis.model} has no inception modules")
    rows = paper_style_rows(analysis)
    if format is Format.JSON:
        emit(to_json({"schema": "archcost.paper-table/1", "model": analysis.model,
                      "convention": analysis.convention.value,
                      "rows": [{k: v for k, v in r.items() if k != "modules"} for r in rows]}), out)
    elif format is Format.CSV:
        emit(to_csv(rows, PAPER_STYLE_COLUMNS), out)
    elif format is Format.MARKDOWN:
        emit(to_markdown(rows, PAPER_STYLE_COLUMNS, title=f"{analysis.model} as Table 1 (computed)"), out)
    else:
        emit(to_rich(rows, PAPER_STYLE_COLUMNS, title=f"{analysis.model} as the paper's Table 1, every figure "
                     f"computed (ops: '{analysis.convention.value}' convention)"), out)


def _layer_timing(arch: str, analysis: Any, device: Device, overrides: dict[str, Any]) -> Any:
    """Time every layer on the real device: a model with real (random) weights, the analysis' input shape."""
    import torch

    from archcost.bench import layer_profile
    from archcost.zoo.resolve import construct

    model = construct(arch, device=device.value, overrides=overrides, input_shape=tuple(analysis.input_shape)).model
    example = torch.randn(analysis.input_shape, device=device.value)
    return layer_profile(model, example)


def _timing_note(timing: Any) -> dict[str, Any]:
    return {"runs": timing.runs, "plain_forward_ms": timing.plain_forward_ms,
            "hooked_forward_ms": timing.hooked_forward_ms, "overhead_ms": timing.overhead_ms,
            "overhead_us_per_module_call": timing.overhead_us_per_module_call}


def _timing_line(timing: Any) -> str:
    return (f"Measured: median of {timing.runs} forwards, inclusive of children; the whole forward takes "
            f"{timing.plain_forward_ms:.3f} ms without hooks and {timing.hooked_forward_ms:.3f} ms with them "
            f"(overhead {timing.overhead_us_per_module_call:.1f} us per module call).")
