"""``archcost table``'s disk cache (archcost/result_cache.py): a hit prints what a fresh analysis prints, without
importing torch; a code change, a bad file or an unwritable folder never gives a wrong or failed answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import archcost
from archcost import result_cache
from archcost.cli import run

PYTHON = sys.executable


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(folder))
    monkeypatch.delenv("ARCHCOST_NO_CACHE", raising=False)
    return folder


def _table(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = run(["table", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parametrize("argv", [
    ["googlenet", "--format", "json"],
    ["googlenet", "--format", "table", "--depth", "1"],
    ["resnet56", "--format", "csv"],
    ["googlenet", "--format", "markdown", "--input", "3x160x160", "--batch", "2"],
    ["googlenet-fmnist", "--style", "keras"],
    ["googlenet", "--style", "paper", "--format", "json"],
    ["resnet20", "--convention", "full", "--dtype", "float16", "--format", "json"],
])
def test_a_hit_prints_exactly_what_a_fresh_analysis_prints(argv: list[str], cache: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    fresh = _table(capsys, *argv, "--no-cache")
    assert not cache.exists()  # --no-cache neither reads nor writes
    first = _table(capsys, *argv)
    assert len(list(cache.glob("*.json"))) == 1
    assert _table(capsys, *argv) == first == fresh


def test_a_hit_is_read_from_the_file(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _table(capsys, "resnet20", "--format", "json")
    (stored,) = cache.glob("*.json")
    document = json.loads(stored.read_text())
    document["totals"]["macs"] = 1  # a planted figure proves the hit path reads the document
    stored.write_text(json.dumps(document))
    assert json.loads(_table(capsys, "resnet20", "--format", "json"))["totals"]["macs"] == 1
    fresh = json.loads(_table(capsys, "resnet20", "--format", "json", "--no-cache"))["totals"]["macs"]
    assert fresh == archcost.analyze("resnet20").totals["macs"] != 1


def test_equal_requests_share_a_key_and_others_do_not(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _table(capsys, "resnet20", "--input", "1x3x32x32", "--format", "json")
    _table(capsys, "resnet20", "--input", "3x32x32", "--format", "json")
    assert len(list(cache.glob("*.json"))) == 1  # one parsed shape, one key
    _table(capsys, "resnet20", "--input", "3x64x64", "--format", "json")
    _table(capsys, "resnet20", "--convention", "fvcore", "--format", "json")
    assert len(list(cache.glob("*.json"))) == 3


def test_a_broken_file_is_a_miss_and_is_rewritten(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = _table(capsys, "resnet20", "--format", "json")
    (stored,) = cache.glob("*.json")
    for garbage in ("{not json", "[]", json.dumps({"schema": "something/else"})):
        stored.write_text(garbage)
        assert _table(capsys, "resnet20", "--format", "json") == fresh
        assert json.loads(stored.read_text())["schema"] == "archcost.analysis/1"


def test_an_unwritable_cache_costs_time_not_the_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(blocker / "cache"))  # a folder below a file cannot exist
    monkeypatch.delenv("ARCHCOST_NO_CACHE", raising=False)
    shown = json.loads(_table(capsys, "resnet20", "--format", "json"))["totals"]["params"]
    assert shown == archcost.analyze("resnet20").totals["params"]
    assert not blocker.with_name("cache").exists()


def test_what_is_not_a_pure_meta_registry_analysis_is_never_cached(cache: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _table(capsys, "testmodels:TinyResNet", "--input", "3x32x32", "--format", "json")
    _table(capsys, "resnet20", "--device", "cpu", "--format", "json")
    _table(capsys, "resnet20", "--explain", "fc", "--format", "json")
    assert not list(cache.glob("*.json"))


def test_the_key_follows_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "package"
    package.mkdir()
    module = package / "module.py"
    module.write_text("A = 1\n")
    monkeypatch.setattr(result_cache, "_PACKAGE", package)
    result_cache.code_fingerprint.cache_clear()
    try:
        before = result_cache.request_key(arch="resnet20")
        os.utime(module, ns=(1, 1))  # an edit changes the modification time (and usually the size)
        result_cache.code_fingerprint.cache_clear()
        assert result_cache.request_key(arch="resnet20") != before
    finally:
        result_cache.code_fingerprint.cache_clear()


def test_a_hit_in_a_fresh_process_does_not_import_torch(tmp_path: Path) -> None:
    env = {**os.environ, "ARCHCOST_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("ARCHCOST_NO_CACHE", None)
    probe = ("import sys; from archcost.cli import run; code = run(['table', 'googlenet', '--format', 'json']); "
             "print('TORCH', 'torch' in sys.modules, file=sys.stderr); sys.exit(code)")
    outputs = []
    for expected in ("TORCH True", "TORCH False"):  # the first run analyses, the second reads
        done = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        assert expected in done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
