"""The one cache (archcost/cache.py): a key made of the content of everything that defines the result, a memory
store for registry networks only, and a disk store for ``archcost table`` that prints what a fresh analysis prints
without importing torch, touches only its own files, treats a bad file as a miss, and is shown and emptied by
``archcost cache info|clear``."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import archcost
from archcost import cache
from archcost.cli import run

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def folder(cache_folder: Path) -> Path:
    return cache_folder  # tests/conftest.py: the disk store on, in a temporary folder


def _entries(base: Path) -> list[Path]:
    return sorted(p for p in (base / "results").glob(f"*{cache.SUFFIX}") if cache.RESULTS.owns(p.name, entries_only=True))


def _table(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = run(["table", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = run([*argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


# -- the disk store through `archcost table` ----------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["googlenet", "--format", "json"],
    ["googlenet", "--format", "table", "--depth", "1"],
    ["resnet56", "--format", "csv"],
    ["googlenet", "--format", "markdown", "--input", "3x160x160", "--batch", "2"],
    ["googlenet-fmnist", "--style", "keras"],
    ["googlenet", "--style", "paper", "--format", "json"],
    ["resnet20", "--convention", "full", "--dtype", "float16", "--format", "json"],
])
def test_a_hit_prints_exactly_what_a_fresh_analysis_prints(argv: list[str], folder: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    fresh = _table(capsys, *argv, "--no-cache")
    assert not folder.exists()  # --no-cache neither reads nor writes
    first = _table(capsys, *argv)
    assert len(_entries(folder)) == 1
    assert _table(capsys, *argv) == first == fresh


def test_a_hit_is_read_from_the_file(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _table(capsys, "resnet20", "--format", "json")
    (stored,) = _entries(folder)
    key = stored.name[:64]
    document = cache.load(key)
    assert document is not None
    document["totals"]["macs"] = 1  # a planted figure, sealed as archcost seals it, proves the hit path reads it
    cache.store(key, document)
    assert json.loads(_table(capsys, "resnet20", "--format", "json"))["totals"]["macs"] == 1
    fresh = json.loads(_table(capsys, "resnet20", "--format", "json", "--no-cache"))["totals"]["macs"]
    assert fresh == archcost.analyze("resnet20").totals["macs"] != 1


def test_equal_requests_share_a_key_and_others_do_not(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _table(capsys, "resnet20", "--input", "1x3x32x32", "--format", "json")
    _table(capsys, "resnet20", "--input", "3x32x32", "--format", "json")
    assert len(_entries(folder)) == 1  # one parsed shape, one key
    _table(capsys, "resnet20", "--input", "3x64x64", "--format", "json")
    _table(capsys, "resnet20", "--convention", "fvcore", "--format", "json")
    assert len(_entries(folder)) == 3


def test_a_corrupt_entry_is_a_miss_and_is_rewritten(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = _table(capsys, "resnet20", "--format", "json")
    (stored,) = _entries(folder)
    for garbage in ("{not json", "[]", json.dumps({"schema": "something/else"}), fresh[: len(fresh) // 2], ""):
        stored.write_text(garbage)
        assert _table(capsys, "resnet20", "--format", "json") == fresh
        assert (cache.load(stored.name[:64]) or {}).get("schema") == "archcost.analysis/1"


def test_an_unwritable_cache_costs_time_not_the_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(blocker / "cache"))  # a folder below a file cannot exist
    monkeypatch.delenv("ARCHCOST_NO_CACHE", raising=False)
    shown = json.loads(_table(capsys, "resnet20", "--format", "json"))["totals"]["params"]
    assert shown == archcost.analyze("resnet20").totals["params"]
    assert blocker.read_text() == ""


def test_what_is_not_a_pure_meta_registry_analysis_is_never_cached(folder: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _table(capsys, "testmodels:TinyResNet", "--input", "3x32x32", "--format", "json")
    _table(capsys, "resnet20", "--device", "cpu", "--format", "json")
    _table(capsys, "resnet20", "--explain", "fc", "--format", "json")
    assert not _entries(folder)


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


# -- the key: content, never size or modification time -----------------------------------------------------------
def test_a_same_size_edit_in_the_same_instant_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "package"
    package.mkdir()
    module = package / "module.py"
    module.write_text("WIDTH = 64\n")
    when = module.stat().st_mtime_ns
    monkeypatch.setattr(cache, "_PACKAGE", package)
    cache.code_fingerprint.cache_clear()
    try:
        before = cache.request_key(network="resnet20")
        module.write_text("WIDTH = 48\n")  # same size
        os.utime(module, ns=(when, when))  # and the same modification time
        cache.code_fingerprint.cache_clear()
        assert cache.request_key(network="resnet20") != before
    finally:
        cache.code_fingerprint.cache_clear()


def _copy_of_archcost(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "archcost", root / "archcost", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_a_same_size_edit_of_archcost_gives_the_new_figures_from_a_warm_cache(tmp_path: Path) -> None:
    """The issue's case: a same-size edit of a builder, in a copy of the package, with its mtime put back."""
    root = _copy_of_archcost(tmp_path)
    # Python's own bytecode cache also trusts size and mtime: write none, so the copy runs what its files say.
    env = {**os.environ, "PYTHONPATH": str(root), "ARCHCOST_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("ARCHCOST_NO_CACHE", None)

    def macs(*extra: str) -> int:
        done = subprocess.run([PYTHON, "-m", "archcost", "table", "resnet20", "--format", "json", *extra],
                              capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return int(json.loads(done.stdout)["totals"]["macs"])

    before = macs()  # fills the cache
    source = root / "archcost" / "zoo" / "resnet.py"
    text, when = source.read_text(), source.stat()
    edited = text.replace("widths: tuple[int, int, int] = (16, 32, 64)", "widths: tuple[int, int, int] = (16, 32, 48)")
    assert edited != text and len(edited) == len(text)
    source.write_text(edited)
    os.utime(source, ns=(when.st_atime_ns, when.st_mtime_ns))
    after = macs()
    assert after == macs("--no-cache") != before
    assert before == archcost.analyze("resnet20").totals["macs"]


def test_values_that_are_not_literals_have_no_key() -> None:
    class Half(float):
        pass

    assert cache.request_key(network="resnet20", config={"survival_last": 0.5}) is not None
    assert cache.request_key(network="resnet20", config={"survival_last": Half(0.5)}) is None
    assert cache.request_key(network="resnet20", config={"f": len}) is None
    keys = {cache.request_key(network="n", inputs=value) for value in (1, 1.0, True, "1", (1,), [1])}
    assert len(keys) == 6  # 1, 1.0 and True are three requests, and a tuple is not a list


# -- the disk store's own files, and only those ----------------------------------------------------------------------
def _user_files(base: Path) -> dict[Path, str]:
    results = base / "results"
    results.mkdir(parents=True, exist_ok=True)
    files = {
        base / "notes.json": "mine",
        results / "notes.json": "mine too",
        results / f"{'a' * 64}.json": "an old-style name, still not the store's",
        results / "my.analysis.json": "a near miss",
        results / f"{'b' * 63}.analysis.json": "one hex digit short",
    }
    for path, text in files.items():
        path.write_text(text)
    return files


def test_pruning_and_clear_touch_only_the_stores_own_files(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user_files(folder)
    monkeypatch.setattr(cache, "KEEP_FILES", 3)
    keys = [cache.request_key(network="n", inputs=i) for i in range(5)]
    for i, key in enumerate(keys):
        assert key is not None
        cache.store(key, {"i": i})
        os.utime(folder / "results" / f"{key}{cache.SUFFIX}", ns=(i, i))  # a clear order, whatever the clock
    kept = [p.name for p in _entries(folder)]
    assert sorted(kept) == sorted(f"{k}{cache.SUFFIX}" for k in keys[2:])  # the newest three
    assert all(path.read_text() == text for path, text in user.items())
    assert cache.load(keys[4]) == {"i": 4} and cache.load(keys[0]) is None
    assert cache.clear()["removed"] == 3
    assert not _entries(folder)
    assert all(path.read_text() == text for path, text in user.items())


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_files_written_honour_the_umask(umask: int, folder: Path) -> None:
    previous = os.umask(umask)
    try:
        key = cache.request_key(network="n", umask=umask)
        assert key is not None
        cache.store(key, {"ok": True})
    finally:
        os.umask(previous)
    (entry,) = _entries(folder)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((folder / "results").stat().st_mode) == 0o777 & ~umask


def test_info_and_clear_through_the_command_line(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user = _user_files(folder)
    empty = _cli_json(capsys, "cache", "info")
    assert empty == {"schema": "archcost.cache-info/1", "folder": str(folder / "results"), "enabled": True,
                     "entries": 0, "bytes": 0, "optimizer_steps": 0, "optimizer_step_bytes": 0}
    _table(capsys, "resnet20", "--format", "json")
    _table(capsys, "resnet32", "--format", "json")
    cache.forget()  # steps already in this process's store would not be traced, nor written
    _table(capsys, "resnet20", "--format", "json", "--mode", "train")  # not kept itself; its optimizer steps are
    assert len(_entries(folder)) == 2
    sizes = sum(p.stat().st_size for p in _entries(folder))
    steps = [p for p in (folder / "optimizer-steps").iterdir() if cache.STEPS.owns(p.name, entries_only=True)]
    step_bytes = sum(p.stat().st_size for p in steps)
    info = _cli_json(capsys, "cache", "info")
    assert (info["entries"], info["bytes"]) == (2, sizes)
    assert steps and (info["optimizer_steps"], info["optimizer_step_bytes"]) == (len(steps), step_bytes)
    assert run(["cache", "info"]) == 0 and str(folder / "results") in capsys.readouterr().out
    cleared = _cli_json(capsys, "cache", "clear")
    assert (cleared["removed"], cleared["optimizer_steps_removed"]) == (2, len(steps))
    assert cleared["bytes"] == sizes + step_bytes
    assert not list((folder / "optimizer-steps").iterdir())
    assert _cli_json(capsys, "cache", "info")["entries"] == 0
    assert all(path.read_text() == text for path, text in user.items())
    assert _cli_json(capsys, "cache", "clear")["removed"] == 0  # clearing an empty store is fine


def test_the_cache_command_does_not_import_torch(tmp_path: Path) -> None:
    env = {**os.environ, "ARCHCOST_CACHE_DIR": str(tmp_path / "cache")}
    probe = ("import sys; from archcost.cli import run; codes = [run(['cache', 'info']), run(['cache', 'clear'])]; "
             "print('TORCH', 'torch' in sys.modules, file=sys.stderr); sys.exit(max(codes))")
    done = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "TORCH False" in done.stderr


# -- optimizer steps on disk ------------------------------------------------------------------------------------------
_STEP_PROBE = """
import json, sys
import archcost
from archcost.training import step
if sys.argv[1] == "reuse":
    def refuse(*args, **kwargs):
        raise AssertionError("a torch.optim optimizer was built")
    step.make = refuse
analysis = archcost.analyze("resnet20", mode="train", optimizer="adam")
print(json.dumps({"dynamo": "torch._dynamo" in sys.modules, "columns": analysis.columns["own_optimizer_ops"],
                  "totals": analysis.totals, "memory": analysis.provenance["memory"]}, default=str))
"""


def test_optimizer_steps_on_disk_spare_a_fresh_process_torch_optim(tmp_path: Path) -> None:
    """A second process finds every optimizer step of the network on disk: it builds no torch.optim optimizer
    (which imports torch._dynamo, about 2.7 s here) and gives the same figures."""
    env = {**os.environ, "ARCHCOST_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("ARCHCOST_NO_CACHE", None)
    found = []
    for phase in ("trace", "reuse"):
        done = subprocess.run([PYTHON, "-c", _STEP_PROBE, phase], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        found.append(json.loads(done.stdout.splitlines()[-1]))
    traced, reused = found
    assert traced["dynamo"] and not reused["dynamo"]
    assert {k: v for k, v in reused.items() if k != "dynamo"} == {k: v for k, v in traced.items() if k != "dynamo"}
    assert sum(traced["columns"]) > 0


def test_a_corrupt_optimizer_step_is_a_miss_and_is_rewritten(folder: Path) -> None:
    cache.forget()
    first = archcost.analyze("resnet20", mode="train", optimizer="sgd-momentum").to_dict()
    files = sorted((folder / "optimizer-steps").iterdir())
    assert files
    for path in files:
        path.write_text('{"records": [["add_", [["nonsense"]]]]}')
    cache.forget()
    again = archcost.analyze("resnet20", mode="train", optimizer="sgd-momentum").to_dict()
    assert again == first
    from archcost.training.step import _StepTemplate

    assert all(_StepTemplate.decode(cache.load(p.name[:64], cache.STEPS) or {}).records for p in files)  # whole


def test_no_cache_keeps_a_train_table_s_optimizer_steps_off_the_disk(folder: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    cache.forget()
    _table(capsys, "resnet20", "--mode", "train", "--no-cache", "--format", "json")
    assert not (folder / "optimizer-steps").exists()
    assert cache.enabled()  # off for that command only
    cache.forget()
    _table(capsys, "resnet20", "--mode", "train", "--format", "json")
    assert list((folder / "optimizer-steps").iterdir())


def test_the_optimizer_step_folder_is_pruned_to_its_newest(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "KEEP_STEPS", 2)
    keys = [cache.request_key(step=i) for i in range(3)]
    for i, key in enumerate(keys):
        assert key is not None
        cache.store(key, {"i": i}, cache.STEPS)
        os.utime(folder / "optimizer-steps" / f"{key}{cache.STEPS.suffix}", ns=(i, i))
    cache.store(keys[2], {"i": 2}, cache.STEPS)  # prunes once more, now with a clear order
    assert cache.load(keys[0], cache.STEPS) is None
    assert [cache.load(k, cache.STEPS) for k in keys[1:]] == [{"i": 1}, {"i": 2}]


# -- no process store of analyses: each call traces ------------------------------------------------------------------
def test_a_user_module_is_analysed_again_after_its_file_changed(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "user_net.py"
    template = ("import torch.nn as nn\n\n"
                "def build():\n    return nn.Sequential(nn.Conv2d(3, {width}, 3), nn.ReLU())\n")
    source.write_text(template.format(width=8))
    monkeypatch.syspath_prepend(str(tmp_path))
    first = archcost.analyze("user_net:build", "3x10x10").totals["macs"]
    source.write_text(template.format(width=16))
    module = importlib.import_module("user_net")
    importlib.reload(module)
    second = archcost.analyze("user_net:build", "3x10x10").totals["macs"]
    assert (first, second) == (8 * 27 * 64, 16 * 27 * 64)
    sys.modules.pop("user_net", None)


# -- one key design: every key is archcost/cache.py's -----------------------------------------------------------------
_REQUEST = {"network": "resnet20", "inputs": [3, 32, 32], "batch": 1, "device": "meta", "convention": "paper",
            "dtype": "float32", "config": {}}


@pytest.mark.parametrize(("field", "other"), [("network", "resnet32"), ("inputs", [3, 40, 40]), ("batch", 2),
                                              ("device", "cpu"), ("convention", "full"), ("dtype", "float16"),
                                              ("config", {"width": 2}), ("mode", "training"),
                                              ("default_dtype", "torch.float64")])
def test_every_field_of_the_request_is_in_the_key(field: str, other: Any) -> None:
    base = cache.analysis_key(**_REQUEST)
    assert base is not None and cache.analysis_key(**{**_REQUEST, field: other}) != base


def test_the_disk_key_has_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    before = cache.analysis_key(**_REQUEST)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another archcost")
    assert cache.analysis_key(**_REQUEST) != before


def test_input_identity_folds_the_batch_and_keeps_dtypes_and_names() -> None:
    assert cache.input_identity(["3x32x32"], 1) == cache.input_identity(["1x3x32x32"], 1) == [1, 3, 32, 32]
    assert cache.input_identity([], 1) is None
    typed = cache.input_identity(["ids=128:int64"], 2)
    assert typed == [{"shape": [2, 128], "dtype": "int64", "name": "ids"}]
