"""``archcost table ARCH``: the per-layer cost tree of one network."""

from __future__ import annotations

import contextlib
import functools

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from archcost.cli import layouts
from archcost.cli.app import app
from archcost.cli.options import (
    BatchOption,
    Dtype,
    FormatOption,
    InputOption,
    OutOption,
    SetOption,
    Style,
    builder_arguments,
)
from archcost.cli.output import emit, write
from archcost.cli.predict_options import (PredictOption, check_predict, predicted_columns, profile_warnings,
                                          with_prediction_terms)
from archcost.writes import check_writable
from archcost.cli.train import (
    CheckpointOption,
    MasterDtypeOption,
    Mode,
    ModeOption,
    OptimizerOption,
    TRAIN_COLUMNS,
    train_notes,
)
from archcost.columns import footer
from archcost.counting.opclass import Backend, Convention, Device
from archcost.render import Column, Format, Output, View, decimal, integer, percent
from archcost.training.optimizers import Optimizer

if TYPE_CHECKING:
    from archcost.request import Request
    from archcost.result import Analysis

OTHER_CLASSES = ("adds", "muls", "cmps", "divs", "exps", "norm")


def _shape(value: Any) -> str:
    return "" if not value else "x".join(map(str, value))


def _columns(convention: Convention, flops: bool, backend: Backend) -> list[Column]:
    """The per-layer columns; ``drop``: their importance, left out of a narrow terminal highest first (input shape
    first: the previous row's output is the input; then intensity, kernel, other ops, activations, output, the
    share, the type), never the layer name or the counts the table is for."""
    columns = [
        Column("layer", "layer", "left", label=True),
        Column("type", "type", "left", drop=1),
        Column("kernel", "k/s", "left", drop=6),
        Column("input_shape", "input", show=_shape, drop=8),
        Column("output_shape", "output", show=_shape, drop=3),
        Column("params", "params", show=integer),
        Column("macs", "MACs", show=integer),
        Column("macs_percent", "% MACs", show=percent, drop=2),
    ]
    if flops:
        columns.append(Column("flops", "FLOPs (2xMAC)", show=integer))
    if convention is not Convention.PAPER:
        columns.append(Column("ops", f"ops ({convention.value})", show=integer))
    columns += [
        Column("other_ops", "other ops", show=integer, drop=5),
        Column("activations", "activations", show=integer, drop=4),
        Column("intensity_flops_per_byte", "FLOP/byte", show=lambda v: decimal(v, 1), drop=7),
    ]
    if backend is not Backend.NATIVE:
        columns += [Column("backend", backend.value, show=_attributed),
                    Column("backend_diff", "diff", show=_attributed)]
    return columns


def _attributed(value: Any) -> str:
    return "—" if value is None else integer(value)


def _display_rows(analysis: Analysis, depth: int | None, cross: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows, train = [], _is_train(analysis)
    for row in analysis.rows:
        if depth is not None and row["depth"] > depth:
            continue
        shown = dict(row)
        leaf = row["name"].rpartition(".")[2] if row["name"] else analysis.model
        shown["layer"] = "  " * row["depth"] + leaf
        if train:  # the training columns are the set: nothing derived beside them
            rows.append(shown)
            continue
        shown["other_ops"] = sum(row[k] for k in OTHER_CLASSES)
        shown["flops"] = 2 * row["macs"]
        if cross is not None:
            theirs = cross["layers"].get(row["name"])  # None: not attributed by the other tool, shown as —
            shown["backend"] = theirs
            shown["backend_diff"] = None if theirs is None else theirs - cross["native_layers"].get(row["name"], 0)
        rows.append(shown)
    return rows


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
    dtype: Annotated[Dtype, typer.Option(help="Element type of the activation bytes.", case_sensitive=False)]
    = Dtype.FLOAT32,
    explain: Annotated[Optional[str], typer.Option("--explain", help="Show every op of LAYER with its formula "
                                                   "and the dimensions substituted ('' for the whole model).")] = None,
    flops: Annotated[bool, typer.Option("--flops", help="Also show FLOPs (= 2 x MACs).")] = False,
    style: Annotated[Optional[Style], typer.Option(help="paper: GoogLeNet laid out as the paper's Table 1; keras: "
                                                   "Keras's per-layer model.summary() and its three totals.",
                                                   case_sensitive=False)] = None,
    timed: Annotated[bool, typer.Option("--timed", help="Measure each layer's time on the real device "
                                        "(--device cpu or cuda) and show it beside its MACs.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Analyse again even if this machine has the "
                                           "result of the same request and code on disk, and write nothing to "
                                           "the disk cache (train mode's optimizer steps included).")] = False,
    mode: ModeOption = Mode.INFERENCE,
    optimizer: OptimizerOption = Optimizer.SGD,
    master_dtype: MasterDtypeOption = None,
    checkpoint: CheckpointOption = None,
    predict: PredictOption = None,
    format: FormatOption = Format.TABLE,
    out: OutOption = None,
) -> None:
    """Per-layer parameters, MACs, other ops and activations of one network."""
    from archcost.request import Request, normalised

    given = normalised(input or None)  # a malformed shape fails before torch is imported
    request = Request.of(arch, given, batch=batch, convention=convention.value, dtype=dtype.value,
                         config=builder_arguments(sets), device=device.value, mode=mode.value)
    _check_request(request, depth, timed, out)
    check_predict(predict, mode is Mode.TRAIN)
    if mode is Mode.TRAIN:
        analysis = _train_analysis(request, no_cache, optimizer=optimizer.value, checkpoint=tuple(checkpoint or ()),
                                   master_dtype=master_dtype.value if master_dtype else None)
        return write(_layers(analysis, depth, format, TRAIN_COLUMNS, None), format, out)
    # A registry network on meta, counted natively, is a pure function of the request and the code: a fresh process
    # can take it from the disk cache without importing torch (archcost/cache.py). A registry network is analysed on
    # meta under auto as under meta (its fallback is off); builder arguments (--set) are part of the key.
    cacheable = not no_cache and backend is Backend.NATIVE and explain is None and predict is None
    cached = _cache_key(request) if cacheable else None
    view = functools.partial(_view, request=request, explain=explain, style=style, timed=timed, depth=depth,
                             format=format, flops=flops, backend=backend, predict=predict)
    predicting = {} if predict is None else {"predict": predict}
    with profile_warnings():
        emit(_shown(request, cached, view, format, backend=backend.value, **predicting), out)


def _view(analysis: Analysis, *, request: Request, explain: str | None, style: Style | None, timed: bool,
          depth: int | None, format: Format, flops: bool, backend: Backend, predict: str | None) -> Output:
    """What an inference table shows of ``analysis``: one layer's ops (and their prediction terms), a style's
    layout, or the per-layer view."""
    if explain is not None:
        return with_prediction_terms(layouts.explain(analysis, explain), analysis, explain, predict)
    if style is Style.KERAS:
        return layouts.keras(analysis)
    if style is Style.PAPER:
        return layouts.paper(analysis)
    timing = _layer_timing(request, analysis) if timed else None
    columns = predicted_columns(_columns(Convention(request.convention), flops, backend), predict)
    return _layers(analysis, depth, format, columns, timing)


def _check_request(request: Request, depth: int | None, timed: bool, out: Any) -> None:
    """Usage errors, all before torch is imported (the inputs were checked by Request.of)."""
    from archcost.errors import UsageError

    if depth is not None and depth < 0:
        raise UsageError("--depth must be 0 or more")
    if timed and request.device in (Device.META, Device.AUTO):
        raise UsageError("--timed measures real kernels: add --device cpu (or cuda)")
    if timed and len(request.inputs or ()) > 1:
        raise UsageError("--timed feeds one input; give a single --input")
    if out is not None:
        check_writable(out)


def _shown(request: Request, cached: tuple[str, str] | None, view: Any, format: Format, **options: Any) -> Any:
    """The rendered ``view`` of the analysis: from the disk cache entry ``cached`` (key, network) when it checks
    out and renders, else computed (and stored under that key)."""
    from archcost import cache
    from archcost.errors import ArchcostError
    from archcost.render import render

    analysis = _cached(*cached) if cached is not None else None
    if cached is not None and analysis is not None:
        try:
            return render(view(analysis), format)
        except ArchcostError:
            raise  # about the request, not the entry: a fresh analysis would say the same
        except Exception:  # noqa: BLE001 - an entry that does not render is a miss, never an error
            cache.drop(cached[0])
    analysis = _analyzed(request, **options)
    if cached is not None:
        cache.store(cached[0], analysis.to_dict())
    return render(view(analysis), format)


def _analyzed(request: Request, **options: Any) -> Analysis:
    """The analysis of ``request``: its network as looked up once, its inputs as parsed once."""
    from archcost.analysis import analyze

    return analyze(request.target(), request.input_value(), batch=request.batch, device=request.device,
                   convention=request.convention, dtype=request.dtype, mode=request.mode, **options,
                   **request.config)


def _train_analysis(request: Request, no_cache: bool, **options: Any) -> Analysis:
    """A train table is traced every time; --no-cache also keeps its optimizer steps off the disk store. Train
    mode runs on meta whatever --device says (the request's device is not passed, as before)."""
    from archcost import cache
    from archcost.analysis import analyze

    with cache.disk_off() if no_cache else contextlib.nullcontext():
        return analyze(request.target(), request.input_value(), batch=request.batch,
                       convention=request.convention, dtype=request.dtype, mode=request.mode, **options,
                       **request.config)


def _is_train(analysis: Analysis) -> bool:
    return analysis.provenance.get("mode") == "train"


def _layers(analysis: Analysis, depth: int | None, format: Format, columns: list[Column], timing: Any) -> Output:
    """The one per-layer view of either mode, its ``columns`` the mode's set: depth 2 by default in a terminal and
    in Markdown, every layer in CSV and JSON (the whole document)."""
    cross = analysis.cross_check
    if cross is not None:
        cross = dict(cross, native_layers=_native_layers(analysis, cross))
    shown_depth = depth if depth is not None else (2 if format in (Format.TABLE, Format.MARKDOWN) else None)
    rows = _display_rows(analysis, shown_depth, cross)
    csv_rows = _display_rows(analysis, depth, cross) if shown_depth != depth else [dict(r) for r in rows]
    document = analysis.to_dict()
    if depth is not None:
        document["layers"] = [r for r in document["layers"] if r["depth"] <= depth]
    notes = train_notes(analysis) if _is_train(analysis) else _notes(analysis)
    notes.append(uncounted_note(analysis.uncounted_ops))
    if analysis.cross_check is not None:
        notes.append(_cross_check_line(analysis.cross_check))
    if timing is not None:
        for row in [*rows, *csv_rows, *document["layers"]]:
            row["measured_ms"] = timing.times_ms.get(row["name"])
        document["timing"] = _timing_note(timing)
        columns.insert(columns.index(next(c for c in columns if c.key == "macs_percent")) + 1,
                       Column("measured_ms", "ms (measured)", show=lambda v: decimal(v, 3)))
        notes.append(_timing_line(timing))
    fallback = analysis.provenance.get("fallback")
    if fallback is not None:  # a CSV has no notes: every row says where it was counted and why
        for row in csv_rows:
            row.update(device=analysis.device, fallback=f"{fallback['reason']}; seed {fallback['seed']}")
    keys = [c for c in csv_rows[0] if c not in ("layer",)]
    return Output([View(rows, columns, title=_title(analysis), notes=notes, footer=_footer(analysis, columns, cross))],
                  document=document, csv=View(csv_rows, [Column(k, k) for k in keys]))


def _footer(analysis: Analysis, columns: list[Column], cross: dict[str, Any] | None) -> dict[str, Any]:
    """The totals row: each shown column's declared total (columns.py), and what the inference view derives."""
    totals: dict[str, Any] = dict(analysis.totals)
    shown = {"layer": "total", **footer(analysis.totals, [c.key for c in columns])}
    if not _is_train(analysis):
        shown.update(macs_percent=100.0, flops=2 * totals["macs"], other_ops=sum(totals[k] for k in OTHER_CLASSES))
    if "predicted_bound" in totals:
        shown["bound"] = totals["predicted_bound"]
    if cross is not None:
        shown.update(backend=cross["total"], backend_diff=cross["difference"])
    return shown


def _cache_key(request: Request) -> tuple[str, str] | None:
    """The disk cache's key of this request and the registry name it answers, or None when it has none (not a
    registry network, not on meta, or builder arguments that are not literals)."""
    key = request.cache_key()
    return None if key is None or request.entry is None else (key, request.entry.name)


def _cached(key: str, network: str) -> Any:
    """The analysis stored under ``key``, or None; a document that is not a whole analysis of ``network`` is
    removed (archcost/cached_analysis.py), and analysed again by the caller."""
    from archcost import cache
    from archcost.cached_analysis import is_whole
    from archcost.result import Analysis

    document = cache.load(key)
    if document is None:
        return None
    try:
        if is_whole(document, network):
            return Analysis.from_dict(document)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        pass  # written by something else
    cache.drop(key)
    return None


def _native_layers(analysis: Analysis, cross: dict[str, Any]) -> dict[str, int]:
    from archcost.counting.backends import _inclusive, convention_total

    compared = Convention(cross["compared_with_convention"])
    return _inclusive(convention_total(analysis, compared), [r["name"] for r in analysis.rows])


def _title(analysis: Analysis) -> str:
    shape = "x".join(map(str, analysis.input_shape))
    if _is_train(analysis):
        return (f"{analysis.model} — one training step, input {shape}, {analysis.dtype}, "
                f"optimizer {analysis.provenance['optimizer']}")
    # The shape shown is the first input's, so the dtype is too: token ids are int64 whatever --dtype says.
    inputs = analysis.provenance.get("inputs") or [{}]
    dtype = inputs[0].get("dtype") or analysis.dtype
    return (f"{analysis.model} — input {'x'.join(map(str, analysis.input_shape))}, {dtype}, "
            f"device {analysis.device}")


def _notes(analysis: Analysis) -> list[str]:
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
    return notes


def uncounted_note(uncounted: dict[str, int]) -> str:
    """The one line on ops without a rule, in every mode."""
    return "Uncounted ops: " + (", ".join(f"aten.{k} x{v}" for k, v in uncounted.items()) if uncounted
                                else "none (every op has a rule).")


def _cross_check_line(c: dict[str, Any]) -> str:
    return (f"Cross-check {c['backend']}: {c['total']:,} vs archcost '{c['compared_with_convention']}' "
            f"{c['native_total']:,} (difference {c['difference']:,}).")


def _layer_timing(request: Request, analysis: Analysis) -> Any:
    """Time every layer on the real device: a model with real (random) weights, the analysis' input shape."""
    import torch

    from archcost.timing import layer_profile
    from archcost.zoo.resolve import construct

    model = construct(request.target(), device=request.device, overrides=request.config,
                      input_shape=tuple(analysis.input_shape)).model
    example = torch.randn(analysis.input_shape, device=request.device)
    return layer_profile(model, example)


def _timing_note(timing: Any) -> dict[str, Any]:
    return {"runs": timing.runs, "plain_forward_ms": timing.plain_forward_ms,
            "hooked_forward_ms": timing.hooked_forward_ms, "overhead_ms": timing.overhead_ms,
            "overhead_us_per_module_call": timing.overhead_us_per_module_call}


def _timing_line(timing: Any) -> str:
    return (f"Measured: median of {timing.runs} forwards, inclusive of children; the whole forward takes "
            f"{timing.plain_forward_ms:.3f} ms without hooks and {timing.hooked_forward_ms:.3f} ms with them "
            f"(overhead {timing.overhead_us_per_module_call:.1f} us per module call).")
