"""Builder arguments: ``--set KEY=VALUE`` on every command that takes ARCH, ``archcost list`` showing them, an unknown
key in one line, and VGG's ``input_size`` taken from ``--input``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import archcost
from archcost.cli import run
from archcost.errors import UsageError
from archcost.zoo.arguments import parse_sets

VGG16_PARAMS = 138_357_544  # Table 2 of the VGG paper: 138M; torchvision's vgg16 num_params


def _fc(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("text", "value"), [
    ("num_classes=10", 10), ("p=0.5", 0.5), ("flag=True", True), ("none=None", None), ("t=(1, 2)", (1, 2)),
    ("s='a b'", "a b"), ("norm=batch", "batch"), ("act=nn.ReLU", "nn.ReLU"), ("name=layer-norm", "layer-norm"),
    ("l=[1,2]", [1, 2]), ("neg=-3", -3),
])
def test_a_value_is_a_python_literal_or_a_plain_word(text: str, value: object) -> None:
    key = text.partition("=")[0]
    assert parse_sets([text]) == {key: value}


@pytest.mark.parametrize(("items", "message"), [
    (["x"], "is not KEY=VALUE"), (["1x=2"], "is not KEY=VALUE"), (["x=(1,"], "is not a Python literal"),
    (["x=1", "x=2"], "given twice"), (["x=a b"], "is not a Python literal"),
])
def test_a_malformed_set_is_a_usage_error(items: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_sets(items)


def test_table_set_changes_the_builder_and_is_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "table", "vgg16", "--set", "num_classes=10", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["totals"]["params"] == VGG16_PARAMS - _fc(4096, 1000) + _fc(4096, 10)
    assert doc["provenance"]["config"] == {"num_classes": 10}
    assert doc["layers"][-1]["output_shape"] == [1, 10]


def test_set_is_repeatable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "table", "efficientnet-b0", "--set", "num_classes=10", "--set", "width_mult=1.0",
                          "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["provenance"]["config"] == {"num_classes": 10, "width_mult": 1.0}
    assert doc["totals"]["params"] == archcost.analyze("efficientnet-b0", num_classes=10).totals["params"]


@pytest.mark.parametrize("argv", [
    ["table", "vgg16", "--set", "widht=3"],
    ["compare", "resnet18", "vgg16", "--set", "widht=3"],
    ["bench", "resnet20", "--set", "widht=3"],
    ["plot", "layers", "vgg16", "--set", "widht=3", "--format", "json"],
])
def test_an_unknown_key_is_one_line_naming_the_accepted_ones(argv: list[str],
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "does not take 'widht'; it accepts: num_classes" in err


def test_compare_applies_set_to_every_network(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "compare", "resnet18", "resnet34", "--set", "num_classes=10", "--format", "json")
    assert code == 0, err
    params = next(r for r in json.loads(out)["totals"] if r["quantity"] == "params")
    assert params["m0"] == archcost.analyze("resnet18").totals["params"] - _fc(512, 1000) + _fc(512, 10)
    assert params["m1"] == archcost.analyze("resnet34").totals["params"] - _fc(512, 1000) + _fc(512, 10)


def test_plot_layers_takes_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "plot", "layers", "vgg16", "--set", "num_classes=10", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["total_params"] == VGG16_PARAMS - _fc(4096, 1000) + _fc(4096, 10)


def test_bench_takes_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "bench", "resnet20", "--input", "3x8x8", "--min-time", "0", "--min-runs", "1",
                          "--warmup", "0", "--max-warmup", "0", "--threads", "1", "--set", "num_classes=100",
                          "--format", "json")
    assert code == 0, err
    result = json.loads(out)["results"][0]
    expected = archcost.analyze("resnet20", "3x8x8", num_classes=100).totals["macs"]
    assert result["macs"] == expected == archcost.analyze("resnet20", "3x8x8").totals["macs"] + 64 * 90


def test_set_is_part_of_the_disk_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ARCHCOST_NO_CACHE", raising=False)

    def entries() -> int:
        return len(list((tmp_path / "cache").rglob("*.analysis.json")))

    code, plain, _ = _run(capsys, "table", "resnet20", "--format", "json")
    assert code == 0 and entries() == 1
    code, out, _ = _run(capsys, "table", "resnet20", "--set", "num_classes=100", "--format", "json")
    assert code == 0 and entries() == 2  # a request of its own, never the plain network's answer
    expected = json.loads(plain)["totals"]["params"] + 64 * 90 + 90
    assert json.loads(out)["totals"]["params"] == expected
    code, again, _ = _run(capsys, "table", "resnet20", "--set", "num_classes=100", "--format", "json")
    assert code == 0 and entries() == 2 and json.loads(again)["totals"]["params"] == expected


def test_an_import_path_takes_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "widths.py").write_text(textwrap.dedent("""
        from torch import nn

        def build(*, width=4, **options):
            return nn.Conv2d(3, width, 1, bias=options.get("bias", True))
    """))
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "table", "widths.py:build", "--input", "3x8x8", "--set", "width=16",
                          "--set", "bias=False", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["totals"]["params"] == 3 * 16
    assert doc["provenance"]["config"] == {"width": 16, "bias": False}


def test_the_api_keeps_its_overrides() -> None:
    assert archcost.analyze("vgg16", num_classes=10).totals["params"] == VGG16_PARAMS - _fc(4096, 1000) + _fc(4096, 10)
    with pytest.raises(UsageError, match="does not take 'widht'"):
        archcost.analyze("vgg16", widht=3)
    with pytest.raises(UsageError, match="does not take 'widht'"):
        archcost.build("vgg16", widht=3)


def test_a_bad_value_for_a_zoo_builder_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "table", "vgg16", "--set", "input_size=8")
    assert code == 2 and err.count("\n") == 1
    assert "vgg16 cannot be built with input_size=8: ValueError:" in err


def test_vgg16_at_1024_gets_its_input_size_from_the_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "table", "vgg16", "--input", "3x1024x1024", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    conv = VGG16_PARAMS - _fc(512 * 7 * 7, 4096) - _fc(4096, 4096) - _fc(4096, 1000)
    assert doc["totals"]["params"] == conv + _fc(512 * 32 * 32, 4096) + _fc(4096, 4096) + _fc(4096, 1000)
    fc6 = next(r for r in doc["layers"] if r["name"] == "classifier.1")
    assert fc6["params"] == 512 * 32 * 32 * 4096 + 4096 and fc6["macs"] == 512 * 32 * 32 * 4096
    assert doc["provenance"]["config"] == {"input_size": 1024}
    assert any("input_size=1024" in note for note in doc["provenance"]["notes"])
    # at the native input nothing is passed; an explicit --set wins over the input
    assert "config" not in archcost.analyze("vgg16", "3x224x224").provenance
    code, _, err = _run(capsys, "table", "vgg16", "--input", "3x1024x1024", "--set", "input_size=224")
    assert code == 1 and "failed in classifier.1 (Linear)" in err


def test_a_non_square_input_for_vgg_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "table", "vgg16", "--input", "3x224x320")
    assert code == 2 and err.count("\n") == 1 and "not square" in err


def test_list_shows_the_arguments_without_importing_torch() -> None:
    probe = ("import sys, json; from archcost.cli import run; code = run(['list', 'vgg16']); "
             "run(['list', '--format', 'json']); print('HEAVY', 'torch' in sys.modules, file=sys.stderr); "
             "sys.exit(code)")
    # A pipe renders at COLUMNS when it is set (pytest's children get 80): ask for a wide one, as a file gets.
    env = dict(os.environ, COLUMNS="200")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=Path(__file__).parent,
                          env=env)
    assert done.returncode == 0, done.stderr
    assert "HEAVY False" in done.stderr
    assert "num_classes   1000" in done.stdout and "input_size    224" in done.stdout
    assert "archcost table vgg16 --set num_classes=1000" in done.stdout


def test_list_json_has_every_entrys_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "list", "--format", "json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)["architectures"]}
    assert rows["vgg16"]["arguments"] == [
        {"name": "num_classes", "default": 1000, "required": False, "annotation": "int"},
        {"name": "input_size", "default": 224, "required": False, "annotation": "int"}]
    assert [a["name"] for a in rows["efficientnet-b3"]["arguments"]] == [
        "num_classes", "width_mult", "depth_mult", "resolution", "dropout"]
    assert rows["inception-naive"]["arguments"][-1]["name"] == "**widths"
    code, out, _ = _run(capsys, "list", "vgg*")
    assert out.count("num_classes, input_size") == 4  # one line per entry


def test_torchvision_and_timm_take_set(capsys: pytest.CaptureFixture[str]) -> None:
    torchvision = pytest.importorskip("torchvision")
    published = torchvision.models.ResNet18_Weights.DEFAULT.meta["num_params"]
    code, out, err = _run(capsys, "table", "torchvision:resnet18", "--set", "num_classes=10", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["totals"]["params"] == published - _fc(512, 1000) + _fc(512, 10)
    code, out, err = _run(capsys, "table", "torchvision:resnet18", "--set", "widht=3")
    assert code == 2 and err.count("\n") == 1 and "does not take the builder argument 'widht'" in err
    pytest.importorskip("timm")
    code, out, err = _run(capsys, "table", "timm:resnet18", "--set", "num_classes=10", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["totals"]["params"] == published - _fc(512, 1000) + _fc(512, 10)
