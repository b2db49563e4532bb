"""Every cached figure is checked before it is shown (issue 21 item 3): a disk cache entry that was edited, damaged,
answers another request or is not a whole analysis is a miss, is removed and recomputed; never an error, never a
wrong figure. The reference is always the same request analysed with the cache off. Every cache folder is in
tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import archcost
from archcost import cache
from archcost.cli import run

NETWORK = "resnet20"


@pytest.fixture
def folder(cache_folder: Path) -> Path:
    return cache_folder  # tests/conftest.py: the disk store on, in a temporary folder


def _table(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = run(["table", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _the_entry(base: Path) -> Path:
    (entry,) = [p for p in (base / "results").iterdir() if cache.RESULTS.owns(p.name, entries_only=True)]
    return entry


def _edit_in_place(entry: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the document inside the entry and keep the file valid JSON, leaving its digest as it was."""
    sealed = json.loads(entry.read_text())
    document = json.loads(sealed["content"])
    change(document)
    sealed["content"] = json.dumps(document)
    entry.write_text(json.dumps(sealed))


def _edit_and_reseal(entry: Path, change: Callable[[dict[str, Any]], None],
                     store: cache.DiskFolder = cache.RESULTS) -> None:
    """Change the document and seal it again as archcost would: only the check of its content can catch it."""
    document = cache.load(entry.name[:64], store)
    assert document is not None
    change(document)
    cache.store(entry.name[:64], document, store)


def _macs_plus_1000(document: dict[str, Any]) -> None:
    document["totals"]["macs"] += 1000
    document["layers"][0]["macs"] += 1000


def _null_params(document: dict[str, Any]) -> None:
    document["layers"][1]["params"] = None


def _another_network(document: dict[str, Any]) -> None:
    document["model"] = "resnet56"


def _no_layers(document: dict[str, Any]) -> None:
    document["layers"] = []


def _no_totals(document: dict[str, Any]) -> None:
    document["totals"] = {}


def _unrenderable_name(document: dict[str, Any]) -> None:
    document["layers"][1]["name"] = 5  # a whole analysis by its figures, but the table cannot lay out this row


EDITS = {"macs + 1000": _macs_plus_1000, "null params": _null_params, "another network": _another_network,
         "no layers": _no_layers, "no totals": _no_totals, "unrenderable name": _unrenderable_name}


def _fresh_and_stored(capsys: pytest.CaptureFixture[str], base: Path, *argv: str) -> tuple[str, Path]:
    fresh = _table(capsys, NETWORK, *argv, "--no-cache")
    assert _table(capsys, NETWORK, *argv) == fresh  # the first cached run stores the entry
    return fresh, _the_entry(base)


def _assert_rewritten_whole(entry: Path) -> None:
    stored = cache.load(entry.name[:64])
    assert stored is not None, "the entry was rewritten with the true figures"
    truth = archcost.analyze(NETWORK)
    assert stored["totals"]["macs"] == truth.totals["macs"] and stored["model"] == NETWORK
    assert [r["params"] for r in stored["layers"]] == [r["params"] for r in truth.rows]


@pytest.mark.parametrize("fmt", ["json", "table"])
@pytest.mark.parametrize("edit", list(EDITS), ids=str)
def test_an_edited_entry_shows_the_true_figures_and_is_rewritten(edit: str, fmt: str, folder: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    fresh, entry = _fresh_and_stored(capsys, folder, "--format", fmt)
    _edit_in_place(entry, EDITS[edit])
    assert _table(capsys, NETWORK, "--format", fmt) == fresh
    _assert_rewritten_whole(entry)


@pytest.mark.parametrize("edit", [e for e in EDITS if e != "macs + 1000"], ids=str)
def test_a_resealed_entry_that_is_not_a_whole_analysis_is_a_miss(edit: str, folder: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A +1000 resealed is a valid entry by construction (the digest is the guard against edits); everything else
    is caught by the content check or by rendering, whatever seal it carries."""
    fresh, entry = _fresh_and_stored(capsys, folder)
    _edit_and_reseal(entry, EDITS[edit])
    assert cache.load(entry.name[:64]) is not None, "sealed again: the digest alone would serve it"
    assert _table(capsys, NETWORK) == fresh
    _assert_rewritten_whole(entry)


def test_a_truncated_entry_is_a_miss_and_is_removed(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh, entry = _fresh_and_stored(capsys, folder, "--format", "json")
    text = entry.read_text()
    entry.write_text(text[: len(text) // 2])
    assert cache.load(entry.name[:64]) is None
    assert not entry.exists(), "a damaged entry is removed on read"
    assert _table(capsys, NETWORK, "--format", "json") == fresh
    _assert_rewritten_whole(entry)


def test_another_request_s_entry_is_a_miss(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """resnet56's whole, sealed entry copied under resnet20's name answers another request: its key differs."""
    fresh, entry = _fresh_and_stored(capsys, folder, "--format", "json")
    entry.unlink()
    _table(capsys, "resnet56", "--format", "json")
    _the_entry(folder).rename(entry)
    assert _table(capsys, NETWORK, "--format", "json") == fresh
    _assert_rewritten_whole(entry)


def test_another_entry_schema_is_a_miss(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh, entry = _fresh_and_stored(capsys, folder, "--format", "json")
    sealed = json.loads(entry.read_text())
    sealed["schema"] = "archcost.cache-entry/0"
    entry.write_text(json.dumps(sealed))
    assert _table(capsys, NETWORK, "--format", "json") == fresh
    assert json.loads(entry.read_text())["schema"] == cache.ENTRY_SCHEMA


@pytest.mark.parametrize("reseal", [False, True], ids=["edited", "resealed"])
def test_an_optimizer_step_with_no_records_is_traced_again(reseal: bool, folder: Path) -> None:
    with cache.disk_off():
        cache.forget()
        truth = archcost.analyze(NETWORK, mode="train", optimizer="adam").to_dict()
    cache.forget()
    assert archcost.analyze(NETWORK, mode="train", optimizer="adam").to_dict() == truth  # stores the steps
    steps = sorted((folder / "optimizer-steps").iterdir())
    assert steps
    for path in steps:
        if reseal:
            _edit_and_reseal(path, lambda d: d.update(records=[]), cache.STEPS)
        else:
            _edit_in_place(path, lambda d: d.update(records=[]))
    cache.forget()
    again = archcost.analyze(NETWORK, mode="train", optimizer="adam").to_dict()
    assert again == truth
    assert again["totals"]["optimizer_ops"] == truth["totals"]["optimizer_ops"] > 0
    assert all((cache.load(p.name[:64], cache.STEPS) or {}).get("records") for p in steps), "rewritten whole"


def test_cache_clear_that_cannot_remove_an_entry_says_so_and_exits_1(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, entry = _fresh_and_stored(capsys, folder, "--format", "json")

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    # As root chmod stops nothing: the removal itself is refused in-process, as a read-only folder would refuse it.
    with monkeypatch.context() as patched:
        patched.setattr(Path, "unlink", refuse)
        code = run(["cache", "clear"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "not removed" in err and "Permission denied" in err
    assert entry.exists()
    assert run(["cache", "clear"]) == 0
    assert not entry.exists()
