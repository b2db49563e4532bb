"""``inception-module``: the lecture's naive (854M) against bottleneck (358M) inception module at 28x28x256, term by
term, with the output depths. The lecture's bottleneck total is not the sum of its own terms; the explanation search
finds which term, counted twice, gives the printed total."""

from __future__ import annotations

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.explain import Candidate
from archcost.reproduction.figures import load

TARGET = "inception-module"

# The lecture's rows, in its order, and the convolution of each module that each row describes.
TERMS = {
    "naive": {
        "naive: [1x1 conv 128]": "inception.branch1.0",
        "naive: [3x3 conv 192]": "inception.branch2.0.0",
        "naive: [5x5 conv 96]": "inception.branch3.0.0",
    },
    "bottleneck": {
        "bottleneck: [1x1 conv 64] (3x3 reduce)": "inception.branch2.0.0",
        "bottleneck: [1x1 conv 64] (5x5 reduce)": "inception.branch3.0.0",
        "bottleneck: [1x1 conv 128]": "inception.branch1.0",
        "bottleneck: [3x3 conv 192]": "inception.branch2.1.0",
        "bottleneck: [5x5 conv 96]": "inception.branch3.1.0",
        "bottleneck: [1x1 conv 64] (pool proj)": "inception.branch4.1.0",
    },
}


def reproduce() -> Reproduction:
    published = {p.row: p for p in load(TARGET)}
    rows = []
    for kind, terms in TERMS.items():
        analysis = models.analysis(f"inception-{kind}")
        term_checks = [Check(published[label], analysis.layer(module)["macs"]) for label, module in terms.items()]
        rows += judge(term_checks)
        candidates = [Candidate(label.removeprefix(f"{kind}: "), analysis.layer(module)["macs"])
                      for label, module in terms.items()]
        rows += judge([Check(published[f"{kind}: total"], analysis.totals["macs"], terms=candidates)])
        shape = analysis.rows[0]["output_shape"]
        rows += judge([
            Check(None, analysis.totals["params"], row=f"{kind}: parameters", quantity="params", unit="params"),
            Check(None, shape[1], row=f"{kind}: output depth", quantity="channels", unit="channels",
                  note=f"output {shape[2]}x{shape[3]}x{shape[1]} (the branches' widths concatenated)"),
        ])
    return Reproduction(TARGET, "Inception module, naive vs bottleneck (lecture, 28x28x256 input)", rows, [],
                        sources(load(TARGET)))
