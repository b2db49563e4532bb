"""``archcost table --predict`` and ``archcost profile``'s bad input, through the CLI (nothing is timed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archcost
from archcost.cli import run
from archcost.cli.predict_options import bare_predict


def _table(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["table", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_fields_equal_the_api(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _table(capsys, "resnet20", "--predict", "t4", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    api = archcost.analyze("resnet20", predict="t4")
    assert data["totals"]["predicted_ms"] == pytest.approx(api.totals["predicted_ms"])
    assert [r["predicted_ms"] for r in data["layers"]] == pytest.approx([r["predicted_ms"] for r in api.rows])
    assert data["provenance"]["device_profile"]["source"] == "spec"
    assert {r["bound"] for r in data["layers"]} <= {"compute", "memory", "overhead"}


def test_table_shows_the_two_columns_and_the_spec_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _table(capsys, "resnet20", "--predict", "l4", "--depth", "1")
    assert code == 0
    assert "predicted ms" in out and "bound" in out
    assert "spec profile l4" in out


def test_predict_with_train_mode_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (("--predict", "h100", "--mode", "train"), ("--mode", "train", "--predict")):
        code, out, err = _table(capsys, "resnet20", *args)
        assert code == 2 and out == ""
        assert err == "archcost: error: --predict predicts inference latency only; drop --mode train\n"


def test_unknown_profile_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _table(capsys, "resnet20", "--predict", "v100")
    assert code == 2 and out == ""
    assert err == ("archcost: error: unknown profile 'v100': give a profile file or one of cpu, h100, h200, a100, "
                   "l4, t4\n")


def test_a_profile_of_another_torch_warns_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from archcost.predict.profile import save
    from synthetic import document

    path = tmp_path / "old.json"
    save(document(torch="1.13.0"), path)
    code, out, err = _table(capsys, "resnet20", "--predict", str(path), "--depth", "0")
    assert code == 0 and "predicted ms" in out
    assert err.count("\n") == 1 and err.startswith("archcost: warning: profile ") and "torch 1.13.0" in err


def test_explain_shows_the_layer_s_prediction_terms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _table(capsys, "resnet20", "--predict", "a100", "--explain", "layer1.0", "--format", "json")
    assert code == 0
    data = json.loads(out)
    layer = data["prediction"]["layer"]
    ops = data["prediction"]["ops"]
    assert {op["op"] for op in ops} >= {"aten.convolution", "aten.native_batch_norm"}
    # The layer's parts are its ops' terms plus its module calls' overhead.
    assert sum(op["predicted_us"] for op in ops) / 1e3 < layer["predicted_ms"]
    code, out, _ = _table(capsys, "resnet20", "--predict", "a100", "--explain", "layer1.0")
    assert "predicted latency terms" in out and "overhead us" in out


def test_bare_predict_means_cpu() -> None:
    assert bare_predict(["table", "x", "--predict"]) == ["table", "x", "--predict", "cpu"]
    assert bare_predict(["table", "x", "--predict", "--depth", "1"]) == ["table", "x", "--predict", "cpu",
                                                                          "--depth", "1"]
    assert bare_predict(["table", "x", "--predict", "h100"]) == ["table", "x", "--predict", "h100"]


def test_profile_refuses_zero_threads(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["profile", "--threads", "0"]) == 2
    assert capsys.readouterr().err == "archcost: error: --threads must be at least 1\n"


@pytest.mark.parametrize("argv", [["table", "resnet18", "--predict", "h100"],
                                  ["table", "resnet18", "--predict", "h100", "--explain", "layer1.0.residual.conv1"]])
def test_predicted_tables_fit_120_columns(argv: list[str], capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from test_render_width import WIDTH, _check_width_and_grouping, _render

    text, _ = _render(capsys, monkeypatch, argv)
    _check_width_and_grouping(text)
    assert "predicted" in text and max(map(len, text.splitlines())) <= WIDTH
