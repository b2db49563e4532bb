"""The command line: exact output, JSON schema, and one clear line for every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archcost.cli import run

PYTHON = sys.executable


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["list"], ["list", "resnet*", "--format", "json"],
                                  ["table", "--help"]])
def test_help_and_list_do_not_import_torch(argv: list[str]) -> None:
    probe = ("import sys; from archcost.cli import run; code = run(%r); "
             "heavy = [m for m in ('torch', 'pandas', 'matplotlib') if m in sys.modules]; "
             "print('HEAVY', heavy, file=sys.stderr); sys.exit(code)" % argv)
    done = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stderr


def test_list_json_has_every_entry_with_its_paper(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "list", "--format", "json")
    assert code == 0
    rows = json.loads(out)["architectures"]
    names = [r["name"] for r in rows]
    assert {"googlenet", "googlenet-aux", "googlenet-fmnist", "inception-naive", "inception-bottleneck"} <= set(names)
    assert all(r["paper"] and r["arxiv"] and r["input"] for r in rows)


def test_table_json_schema_and_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "table", "inception-naive", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "archcost.analysis/1"
    assert doc["convention"] == "paper"
    assert {"archcost_version", "torch_version"} <= set(doc)
    totals = doc["totals"]
    for key in ("params", "trainable_params", "buffers", "macs", "ops", "activations"):
        assert isinstance(totals[key], int)
    # the lecture's naive module at 28x28x256: 1x1x128, 3x3x192 and 5x5x96 convolutions
    assert totals["macs"] == 28 * 28 * 256 * (128 + 9 * 192 + 25 * 96) == 854_196_224
    layer = doc["layers"][0]
    for key in ("name", "type", "depth", "input_shape", "output_shape", "params", "macs", "ops"):
        assert key in layer
    assert layer["output_shape"] == [1, 128 + 192 + 96 + 256, 28, 28]


def test_lecture_bottleneck_module_costs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "table", "inception-bottleneck", "--format", "json")
    doc = json.loads(out)
    hw = 28 * 28
    terms = [hw * 64 * 256, hw * 64 * 256, hw * 128 * 256, hw * 192 * 9 * 64, hw * 96 * 25 * 64, hw * 64 * 256]
    assert doc["totals"]["macs"] == sum(terms) == 271_351_808
    assert doc["layers"][0]["output_shape"] == [1, 480, 28, 28]


def test_explain_substitutes_the_dimensions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "table", "googlenet", "--explain", "conv1.0", "--format", "json")
    assert code == 0
    ops = json.loads(out)["ops"]
    conv = ops[0]
    assert conv["op"] == "aten.convolution"
    macs = conv["terms"][0]
    assert macs["count"] == 7 * 7 * 3 * 64 * 112 * 112
    assert macs["explanation"] == ("K_h*K_w*(C_in/groups)*C_out*H_out*W_out*N = 7*7*(3/1)*64*112*112*1 "
                                   "= 118,013,952 macs")


def test_table_csv_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "table", "inception-bottleneck", "--format", "csv")
    header, first = out.splitlines()[:2]
    assert header.startswith("name,type,depth")
    assert ",271351808," in first
    code, out, _ = _run(capsys, "table", "inception-bottleneck", "--format", "markdown", "--depth", "1")
    assert "| 271,351,808 |" in out


def test_keras_style_totals_match_the_lecture_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "table", "googlenet-fmnist", "--style", "keras", "--format", "json")
    doc = json.loads(out)
    assert (doc["total_params"], doc["trainable_params"], doc["non_trainable_params"]) == (5_978_554, 5_978_042, 512)


def test_out_file_is_written_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "g.json"
    code, out, _ = _run(capsys, "table", "inception-naive", "--format", "json", "--out", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["totals"]["macs"] == 854_196_224
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]


BAD = [
    (["table", "googlenetx"], 2, "unknown architecture 'googlenetx'; did you mean googlenet"),
    # A 2-dim shape is a per-sample shape now (16x100 for a Conv1d): 3x224 is read as 1x3x224, which conv1 refuses.
    (["table", "googlenet", "--input", "3x224"], 2, "conv1.0 (Conv2d) expects a 4-d input (N, C, H, W); got 1x3x224"),
    (["table", "googlenet", "--input", "3x2x24x"], 2, "malformed input shape '3x2x24x'"),
    (["table", "googlenet", "--input", "0x3x224x224"], 2, "every dimension must be at least 1"),
    (["table", "googlenet", "--input", "abc"], 2, "malformed input shape 'abc'"),
    (["table", "googlenet", "--input", "3x16x16"], 1, "too small for googlenet: the spatial size collapses at pool4"),
    (["table", "no_such_module:f", "--input", "3x8x8"], 2, "cannot import 'no_such_module'"),
    (["table", "testmodels:not_a_module", "--input", "3x8x8"], 1, "returned int, not a torch.nn.Module"),
    (["table", "testmodels:failing", "--input", "3x8x8"], 1, "failed in broken (Linear)"),
    (["table", "testmodels:tiny_resnet"], 2, "its input shape is needed (--input CxHxW)"),
    (["table", "googlenet", "--backend", "fvcore"], 2, "cannot run on meta; add --device cpu"),
    (["table", "googlenet", "--convention", "bogus"], 2, "bogus"),
    (["table", "googlenet", "--out", "/no/such/folder/x.json"], 1, "folder /no/such/folder does not exist"),
    (["list", "zzz*"], 2, "no architecture matches 'zzz*'"),
]


@pytest.mark.parametrize(("argv", "code", "message"), BAD)
def test_bad_input_gets_one_line_and_an_exit_code(argv: list[str], code: int, message: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    got, out, err = _run(capsys, *argv)
    assert got == code
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("archcost: error: ")
    assert message in err
    assert "Traceback" not in err


def test_cuda_without_a_gpu_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    got, _, err = _run(capsys, "table", "googlenet", "--device", "cuda")
    assert got == 1 and "CUDA is not available" in err and err.count("\n") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_read_only_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp_path.chmod(0o500)
    got, _, err = _run(capsys, "table", "googlenet", "--out", str(tmp_path / "x.json"))
    assert got == 1 and "is not writable" in err


def test_read_only_folder_as_root_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Root ignores permission bits, so an unwritable target is made by pointing --out at a folder.
    folder = tmp_path / "taken"
    folder.mkdir()
    got, _, err = _run(capsys, "table", "googlenet", "--out", str(folder))
    assert got == 1 and "it is a folder" in err
    assert list(folder.iterdir()) == []


def test_style_paper_lays_googlenet_out_as_table_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "table", "googlenet", "--style", "paper", "--format", "json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [r["type"] for r in rows][:5] == ["convolution", "max pool", "convolution", "max pool", "inception (3a)"]
    assert rows[-1]["type"] == "softmax" and len(rows) == 19  # as many rows as Table 1
    conv2 = rows[2]
    # conv2 is the 1x1 reduce (64) and the 3x3 (192) on one depth-2 row, as in the paper
    assert (conv2["depth"], conv2["n3x3_reduce"], conv2["n3x3"]) == (2, 64, 192)
    assert conv2["params"] == (64 * 64 + 64) + (9 * 64 * 192 + 192)
    assert conv2["ops"] == 56 * 56 * (64 * 64 + 9 * 64 * 192)
    assert sum(r["params"] for r in rows) == 6_998_552


def test_timed_table_measures_every_shown_layer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "table", "testmodels:tiny_resnet", "--input", "3x16x16", "--device", "cpu",
                        "--timed", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    called = [layer for layer in doc["layers"] if layer["calls"]]
    assert all(layer["measured_ms"] > 0 for layer in called)
    root = doc["layers"][0]
    assert all(layer["measured_ms"] <= root["measured_ms"] for layer in called)
    assert doc["timing"]["runs"] >= 1


def test_timed_needs_a_real_device(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "table", "googlenet", "--timed")
    assert code == 2 and "add --device cpu" in err


def test_version_prints_the_package_metadata_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out == f"archcost {version('archcost')}\n"
    assert _run(capsys, "-V")[1] == out


def test_bare_archcost_shows_the_help_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys)
    help_code, help_text, _ = _run(capsys, "--help")
    assert code == 2 and out == "" and help_code == 0
    assert "error" not in err
    # The whole help (every command listed), the same text `--help` prints.
    assert err.strip() == help_text.strip()
    assert "table" in err and "compare" in err and "reproduce" in err


def test_the_title_names_the_input_dtype_not_the_activation_dtype(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "table", "test_inputs:tokens", "--input", "128:int64", "--no-cache")
    assert code == 0, err
    assert out.splitlines()[0].strip() == "test_inputs:tokens — input 1x128, int64, device meta"
    code, out, err = _run(capsys, "table", "resnet20", "--dtype", "float16", "--no-cache")
    assert code == 0, err
    assert out.splitlines()[0].strip() == "resnet20 — input 1x3x32x32, float16, device meta"


def test_closed_option_sets_are_the_ones_the_code_knows() -> None:
    from archcost.cli.options import Dtype, Level
    from archcost.compare import LEVELS
    from archcost.analysis import DTYPES

    assert tuple(Level) == LEVELS
    assert set(Dtype) == set(DTYPES)
