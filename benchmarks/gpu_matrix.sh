#!/usr/bin/env bash
# The GPU matrix of issue 5, as one command on a machine with a CUDA GPU (never needed by CI):
#   GoogLeNet, ResNet-50, EfficientNet-B0 and VGG-16 at batch 1, 64 and 256,
#   in float32 and bfloat16, each in NCHW and channels-last (NHWC), every network in its own process (--isolate);
#   per-layer times and roofline points for ResNet-50 and EfficientNet-B0 at batch 64 (float32);
#   the harness against torch.utils.benchmark.Timer on the GPU; a device profile (`archcost profile`) and the latency
#   model's benchmark (benchmarks/predict.py: the zoo predicted and timed at batch 1 and 8); the measured charts of
#   `archcost report` on the GPU
#   (accuracy against latency and throughput, MACs against latency with the roofline, batch scaling, a per-layer
#   roofline); and the CUDA tests of tests/bench first.
#
# Usage (from anywhere):  bash benchmarks/gpu_matrix.sh
# Environment: PYTHON (default .venv/bin/python if present, else python3) must have a CUDA build of torch plus
#   typer, rich and pytest; the package is imported from this checkout (PYTHONPATH), no install needed.
#   OUT_DIR (default reports/gpu), MIN_TIME (seconds measured per point, default 1).
#   PREDICT_NETS (default: the whole zoo) limits the latency benchmark to some registry names.
#   For a smoke test of the script itself without a GPU: DEVICE=cpu NETS="resnet20" BATCHES=1,2 MIN_TIME=0
#   PREDICT_NETS="resnet20 mobilenet-v2 vgg11"
#   LAYER_NETS=resnet20 LAYER_BATCH=2 OUT_DIR=/tmp/gpu-smoke bash benchmarks/gpu_matrix.sh
# Writes under OUT_DIR: environment.txt, pytest-cuda.txt, bench-<dtype>-<layout>.json (archcost.bench/1) and .md,
#   layers-float32-b64.json, bench-vs-timer-<device>.md, report/ (`archcost report --device DEVICE`: its measured/
#   folder holds the measured charts with their data and tables), and README.md (every table in one page).
# Budget: about 8-11 minutes on one H100 (16 isolated processes of ~15 s, the layer run, the Timer comparison, the
#   profile and the zoo's latency benchmark (not yet run on a GPU: an estimate of 2-3 minutes), and the measured part
#   of `archcost report`, bounded at 120 s).
# Exit status: 0 when every step succeeded; 1 otherwise (each step still runs, a failed point is one line in its
# table's notes and in the JSON's "failures").
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${PYTHON:-}" ]]; then PY=$PYTHON; elif [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
OUT=${OUT_DIR:-reports/gpu}
MIN_TIME=${MIN_TIME:-1}
DEVICE=${DEVICE:-cuda}
read -r -a NETS <<< "${NETS:-googlenet resnet50 efficientnet-b0 vgg16}"
BATCHES=${BATCHES:-1,64,256}
read -r -a LAYER_NETS <<< "${LAYER_NETS:-resnet50 efficientnet-b0}"
LAYER_BATCH=${LAYER_BATCH:-64}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT"
status=0

if [[ $DEVICE == cuda ]] && ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_matrix: $PY has no CUDA device (torch.cuda.is_available() is False); nothing measured" >&2
    exit 1
fi

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version()); print('device', torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu')"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit --format=csv 2>/dev/null || true
} > "$OUT/environment.txt"
cat "$OUT/environment.txt"

echo "== CUDA tests"
"$PY" -m pytest tests/bench -q -p no:cacheprovider > "$OUT/pytest-cuda.txt" 2>&1 || status=1
tail -3 "$OUT/pytest-cuda.txt"

for dtype in float32 bfloat16; do
    for layout in nchw nhwc; do
        flag=(); [[ $layout == nhwc ]] && flag=(--channels-last)
        name="bench-$dtype-$layout"
        echo "== $name"
        "$PY" -m archcost bench "${NETS[@]}" --device "$DEVICE" --batch "$BATCHES" --dtype "$dtype" "${flag[@]}" \
            --isolate --min-time "$MIN_TIME" --format json --out "$OUT/$name.json" || status=1
    done
done

echo "== per-layer times and roofline points, batch $LAYER_BATCH, float32"
"$PY" -m archcost bench "${LAYER_NETS[@]}" --device "$DEVICE" --batch "$LAYER_BATCH" --layers --min-time "$MIN_TIME" \
    --format json --out "$OUT/layers-float32-b$LAYER_BATCH.json" || status=1

echo "== harness versus torch.utils.benchmark.Timer"
"$PY" benchmarks/bench_vs_timer.py --device "$DEVICE" --out "$OUT/bench-vs-timer-$DEVICE.md" || status=1

echo "== latency prediction on $DEVICE: a device profile, then the zoo predicted and timed (issue 24)"
# One CPU thread, as benchmarks/predict.py times with (a CUDA profile ignores it; a CPU smoke test needs it).
"$PY" -m archcost profile --device "$DEVICE" --threads 1 --out "$OUT/profile-$DEVICE.json" || status=1
"$PY" benchmarks/predict.py --device "$DEVICE" --profile "$OUT/profile-$DEVICE.json" ${PREDICT_NETS:+--networks $PREDICT_NETS} \
    --out "$OUT/predict-$DEVICE.md" > /dev/null || status=1

echo "== measured charts of archcost report on $DEVICE"
"$PY" -m archcost report --device "$DEVICE" --out "$OUT/report" || status=1

echo "== tables"
"$PY" - "$OUT" <<'PYTHON' || status=1
import json, sys
from pathlib import Path

from archcost.timing.columns import RESULT_COLUMNS, device_lines
from archcost.render import to_markdown

folder = Path(sys.argv[1])
pages = ["# GPU inference matrix (benchmarks/gpu_matrix.sh)", "",
         "```", (folder / "environment.txt").read_text().strip(), "```", ""]
for path in sorted(folder.glob("bench-*-*.json")):
    document = json.loads(path.read_text())
    table = to_markdown(document["results"], RESULT_COLUMNS, title=path.stem, notes=device_lines(document))
    path.with_suffix(".md").write_text(table)
    pages.append(table)
for timer in sorted(folder.glob("bench-vs-timer-*.md")):
    pages.append(timer.read_text())
for predicted in sorted(folder.glob("predict-*.md")):
    pages += [f"## Latency prediction: [{predicted.name}]({predicted.name})", ""]
measured = folder / "report" / "measured" / "README.md"
if measured.is_file():
    pages += ["## Measured charts of archcost report", "",
              "[report/measured/README.md](report/measured/README.md)", ""]
(folder / "README.md").write_text("\n".join(pages))
print("\n".join(pages))
PYTHON

echo "gpu_matrix: done (status $status); results in $OUT"
exit $status
