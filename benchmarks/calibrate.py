"""Calibrate archcost against its references on thousands of small random networks.

Draws ``--examples`` networks from the calibration strategy (``tests/calibration/strategies.py``: convolutions of
every kind, norms, pools, attention, recurrent layers, residual adds, concatenation, upsampling, shared and aliased
modules), checks every calibration property on each (``tests/calibration/properties.py``: paper = FlopCounterMode / 2,
meta = CPU per op class, the model unchanged, nothing that computes left uncounted), groups the
failures by what failed, shrinks one network of each group to its smallest form that still fails the same way, and
writes the counts and the shrunk cases with their figures to ``reports/benchmarks/calibration.md``.

The CI test (``tests/calibration/test_calibration.py``) runs the same properties on a bounded number of examples.

    PYTHONPATH=. python benchmarks/calibrate.py --examples 2000 --seed 0 [--out FILE] [--properties meta_vs_cpu,...]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "calibration"), str(ROOT / "tests")]

import torch  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from netspec import Layer, NetSpec, build  # noqa: E402
from properties import PROPERTIES, Finding, check  # noqa: E402
from strategies import networks  # noqa: E402

import archcost  # noqa: E402
from archcost.writes import write_file  # noqa: E402

OUT = ROOT / "reports" / "benchmarks" / "calibration.md"


def sample(examples: int, random_seed: int) -> list[NetSpec]:
    """``examples`` networks as hypothesis draws them under ``random_seed`` (generation only: no shrinking here)."""
    drawn: list[NetSpec] = []

    @seed(random_seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(networks())
    def draw(spec: NetSpec) -> None:
        drawn.append(spec)

    draw()
    return drawn


def _runs(spec: NetSpec) -> bool:
    try:
        with torch.no_grad():
            build(spec, "meta").eval()(torch.zeros(spec.input_shape, device="meta"))
        return True
    except Exception:  # noqa: BLE001 - a candidate that torch refuses is not a smaller network
        return False


def _candidates(spec: NetSpec) -> Iterator[NetSpec]:
    """Smaller networks, simplest first: fewer layers, composites replaced by their body, fewer rows in a branch,
    batch 1, the model left in training mode."""
    layers = spec.layers
    for i in range(len(layers)):
        if len(layers) > 1:
            yield replace(spec, layers=layers[:i] + layers[i + 1:])
    for i, layer in enumerate(layers):
        for b, branch in enumerate(layer.branches):
            if len(layer.branches) == 1:
                yield replace(spec, layers=layers[:i] + branch + layers[i + 1:])
            else:
                yield replace(spec, layers=layers[:i] + (_without_branch(layer, b),) + layers[i + 1:])
            for r in range(len(branch)):
                smaller = branch[:r] + branch[r + 1:]
                if smaller:
                    yield replace(spec, layers=layers[:i] + (_with_branch(layer, b, smaller),) + layers[i + 1:])
        if dict(layer.args).get("times", 0) > 2:
            yield replace(spec, layers=layers[:i] + (_with_arg(layer, "times", 2),) + layers[i + 1:])
    if spec.input_shape[0] > 1:
        yield replace(spec, input_shape=(1, *spec.input_shape[1:]))
    if spec.eval_mode:
        yield replace(spec, eval_mode=False)


def _with_branch(layer: Layer, index: int, rows: tuple[Layer, ...]) -> Layer:
    return replace(layer, branches=layer.branches[:index] + (rows,) + layer.branches[index + 1:])


def _without_branch(layer: Layer, index: int) -> Layer:
    return replace(layer, branches=layer.branches[:index] + layer.branches[index + 1:])


def _with_arg(layer: Layer, name: str, value: Any) -> Layer:
    return replace(layer, args=tuple((k, value if k == name else v) for k, v in layer.args))


def shrink(finding: Finding, spec: NetSpec) -> tuple[NetSpec, Finding]:
    """Greedy: take the first smaller network that still runs and fails with the same signature, until none does."""
    improved = True
    while improved:
        improved = False
        for candidate in _candidates(spec):
            if not _runs(candidate):
                continue
            again = check(finding.prop, candidate)
            if again is not None and again.signature == finding.signature:
                spec, finding, improved = candidate, again, True
                break
    return spec, finding


def calibrate(specs: list[NetSpec], props: list[str]) -> dict[str, Any]:
    passed: Counter[str] = Counter()
    groups: dict[tuple[str, str], list[Any]] = {}  # (property, signature) -> [count, first finding, its spec]
    kinds: Counter[str] = Counter()
    for spec in specs:
        kinds.update(spec.kinds())
        for prop in props:
            finding = check(prop, spec)
            if finding is None:
                passed[prop] += 1
                continue
            group = groups.setdefault((prop, finding.signature), [0, finding, spec])
            group[0] += 1
    shrunk = []
    for (prop, signature), (count, finding, spec) in sorted(groups.items()):
        small, small_finding = shrink(finding, spec)
        shrunk.append({"prop": prop, "signature": signature, "count": count, "spec": small,
                       "finding": small_finding})
    return {"passed": passed, "groups": shrunk, "kinds": kinds}


def _markdown(result: dict[str, Any], *, examples: int, random_seed: int, props: list[str], seconds: float) -> str:
    lines = ["### Calibration: archcost against its references on random small networks", "",
             f"{examples} networks drawn by `tests/calibration/strategies.py` (hypothesis seed {random_seed}), each "
             "checked for every property below; torch " + torch.__version__ + f", archcost {archcost.__version__}, "
             f"{seconds:.0f} s.", "",
             "| property | networks passed | failed | distinct failures |", "|:---|---:|---:|---:|"]
    for prop in props:
        groups = [g for g in result["groups"] if g["prop"] == prop]
        failed = sum(g["count"] for g in groups)
        lines.append(f"| `{prop}` | {result['passed'][prop]} | {failed} | {len(groups)} |")
    lines += ["", "Layer kinds drawn (networks containing each): " +
              ", ".join(f"{k} {n}" for k, n in sorted(result["kinds"].items())) + ".", ""]
    if result["groups"]:
        lines += ["#### Failures, each shrunk to its smallest network", ""]
    for g in result["groups"]:
        lines += [f"- **`{g['prop']}`** ({g['count']} networks): {g['signature']}",
                  f"  - smallest: `{g['spec']!r}`",
                  f"  - figures: {g['finding'].detail.replace(chr(10), '; ')}"]
    lines += ["", "Produced by `benchmarks/calibrate.py` (`--examples N --seed S`); the CI test "
              "`tests/calibration/test_calibration.py` checks the same properties on a bounded number of examples.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="networks to draw")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed")
    parser.add_argument("--properties", default=",".join(PROPERTIES), help="comma-separated subset")
    parser.add_argument("--out", type=Path, default=OUT, help="markdown report (default %(default)s)")
    args = parser.parse_args(argv)
    props = [p for p in args.properties.split(",") if p]
    unknown = sorted(set(props) - set(PROPERTIES))
    if unknown:
        parser.error(f"unknown properties {unknown}; choose from {', '.join(PROPERTIES)}")
    torch.set_num_threads(1)
    start = time.perf_counter()
    specs = sample(args.examples, args.seed)
    result = calibrate(specs, props)
    text = _markdown(result, examples=len(specs), random_seed=args.seed, props=props,
                     seconds=time.perf_counter() - start)
    write_file(args.out, text)
    print(text)
    return 1 if result["groups"] else 0


if __name__ == "__main__":
    sys.exit(main())
