"""``archcost reproduce`` on the command line: formats, the JSON schema, unknown targets, --check and its golden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archcost.cli import run
from archcost.reproduction import TARGETS, golden


def test_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["reproduce", "inception-module", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == ["schema", "target", "source", "rows", "claims"]
    assert document["schema"] == "archcost.reproduce/1" and document["target"] == "inception-module"
    assert list(document["rows"][0]) == ["row", "quantity", "published_text", "published", "computed", "unit",
                                         "difference", "status", "explanation"]
    total = next(r for r in document["rows"] if r["row"] == "bottleneck: total")
    assert (total["published"], total["computed"], total["difference"]) == (358_000_000, 271_351_808, -86_648_192)


def test_unknown_target_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["reproduce", "googlenet-table9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and all(name in err for name in TARGETS)


def test_csv_and_markdown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "keras.csv"
    assert run(["reproduce", "keras-fmnist", "--format", "csv", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "target,kind,row,quantity,published_text,published,computed,unit,difference,status,explanation"
    assert "keras-fmnist,row,Total params,params,\"5,978,554\",5978554,5978554,params,0,matches," in lines
    assert run(["reproduce", "inception-module", "--format", "markdown"]) == 0
    assert "| bottleneck: total | MACs | 358M |" in capsys.readouterr().out


def test_check_without_golden_says_how_to_create_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(golden, "GOLDEN_PATH", tmp_path / "missing.json")
    assert run(["reproduce", "inception-module", "--check"]) == 1
    assert "archcost reproduce --write-golden" in capsys.readouterr().err


def test_check_names_what_moved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["reproduce", "inception-module", "--check"]) == 0  # the committed golden holds
    document = json.loads(golden.GOLDEN_PATH.read_text())
    document["targets"]["inception-module"]["computed"]["naive: total / MACs"] = 1
    moved = tmp_path / "golden.json"
    moved.write_text(json.dumps(document))
    monkeypatch.setattr(golden, "GOLDEN_PATH", moved)
    capsys.readouterr()
    assert run(["reproduce", "inception-module", "--check"]) == 1
    assert "inception-module: naive: total / MACs: 1 -> 854196224" in capsys.readouterr().err


def test_the_legend_is_said_once_and_each_claim_is_a_line_with_its_explanation_below(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that no note wraps: one line is one line
    assert run(["reproduce", "googlenet-table1", "inception-module"]) == 0
    lines = capsys.readouterr().out.splitlines()
    legend = [i for i, line in enumerate(lines) if "'matches': exactly the printed figure" in line]
    last_title = next(i for i, line in enumerate(lines) if line.startswith("Inception module, naive"))
    assert len(legend) == 1 and legend[0] > last_title  # once, under the last target
    assert sum(line.startswith("Status: ") for line in lines) == 2  # each target still counts its statuses
    # Each claim is one note (one line where the table is wide enough), its explanation the next, indented.
    from archcost.reproduction import reproduce
    from archcost.reproduction.tables import view

    reproduction = reproduce("googlenet-table1")
    notes = list(view(reproduction).notes)
    assert reproduction.claims
    flat = " ".join(" ".join(lines).split())
    for claim in reproduction.claims:
        at = notes.index(next(n for n in notes if n.startswith(f"Claim: {claim.row}: {claim.quantity} ")))
        assert notes[at].endswith(f"{claim.status}.") and f"{claim.computed:,}"[:5] in notes[at]
        assert notes[at + 1] == f"    {claim.explanation}" if claim.explanation else \
            not notes[at + 1].startswith("    ")
        assert " ".join(notes[at].split()) in flat
    assert not any(line.lstrip().startswith("claim: ") for line in lines)  # no longer table rows
