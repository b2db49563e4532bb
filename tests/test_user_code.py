"""The user's own code as ARCH: ``module:callable`` from the current folder (as ``python -m`` finds it),
``path/to/file.py:callable``, and an exception inside their code reported with their file and line, exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

import archcost
from archcost.cli import run

ROOT = Path(__file__).resolve().parent.parent

MYMODELS = """
    from torch import nn
    from helpers import WIDTH


    def build(*, width_mult=1):
        return nn.Sequential(nn.Conv2d(3, WIDTH * width_mult, 3), nn.ReLU())


    def bad(*, width=3):
        if width < 4:
            raise ValueError("bad width")  # LINE bad
        return nn.Conv2d(3, width, 3)


    def negative():
        return nn.Conv2d(3, -1, 3)  # LINE negative


    class Raises(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            self.conv(x)
            raise KeyError("no such branch")  # LINE forward


    class Mismatched(nn.Module):
        def __init__(self):
            super().__init__()
            self.ok = nn.Conv2d(3, 4, 3)
            self.broken = nn.Linear(5, 5)

        def forward(self, x):
            return self.broken(self.ok(x).permute(0, 2, 3, 1))  # LINE mismatched


    def not_a_module():
        return 42


    NOT_CALLABLE = 3
"""


def _line(source: str, marker: str) -> int:
    return next(i for i, text in enumerate(textwrap.dedent(source).splitlines(), 1) if f"# LINE {marker}" in text)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder holding mymodels.py (and its helper module), made the current folder; the import system is put back
    afterwards, so another test's mymodels.py is imported afresh."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "mymodels.py").write_text(textwrap.dedent(MYMODELS))
    (work / "helpers.py").write_text("WIDTH = 8\n")
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield work
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def _console_script(tmp_path: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """archcost as its console script runs it: sys.path[0] is the script's own folder, not the current one."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir(exist_ok=True)
    (bin_folder / "archcost").write_text("from archcost.cli import main\nmain()\n")
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "ARCHCOST_NO_CACHE": "1"}
    return subprocess.run([sys.executable, str(bin_folder / "archcost"), *argv], capture_output=True, text=True,
                          cwd=cwd, env=environment)


def test_a_module_in_the_current_folder_is_found_by_the_console_script(tmp_path: Path, folder: Path) -> None:
    done = _console_script(tmp_path, folder, "table", "mymodels:build", "--input", "3x16x16", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["params"] == 3 * 8 * 9 + 8


def test_the_users_build_error_is_theirs_with_file_and_line(tmp_path: Path, folder: Path) -> None:
    done = _console_script(tmp_path, folder, "table", "mymodels:bad", "--input", "3x16x16")
    assert done.returncode == 1
    line = _line(MYMODELS, "bad")
    assert done.stderr == f"archcost: error: mymodels.py:{line} in bad: ValueError: bad width\n"
    assert done.stdout == ""


def test_the_users_forward_error_is_theirs_with_file_and_line(tmp_path: Path, folder: Path) -> None:
    done = _console_script(tmp_path, folder, "table", "mymodels:Raises", "--input", "3x16x16")
    assert done.returncode == 1
    line = _line(MYMODELS, "forward")
    assert done.stderr == f"archcost: error: mymodels.py:{line} in forward: KeyError: 'no such branch'\n"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_torch_error_under_the_users_forward_names_the_module_and_their_line(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "table", "mymodels:Mismatched", "--input", "3x8x8")
    assert code == 1 and err.count("\n") == 1
    assert "failed in broken (Linear): RuntimeError:" in err
    assert err.rstrip().endswith(f"(from mymodels.py:{_line(MYMODELS, 'mismatched')} in forward)")


def test_a_torch_error_under_the_users_builder_gives_their_line(folder: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "table", "mymodels:negative", "--input", "3x8x8")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"archcost: error: mymodels.py:{_line(MYMODELS, 'negative')} in negative: ")
    assert "internal error" not in err


def test_a_file_path_imports_the_file_with_its_own_neighbours(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, width in (("one", 4), ("two", 6)):  # two files of the same name in different folders
        sub = folder / name
        sub.mkdir()
        (sub / "blocks.py").write_text(f"WIDTH = {width}\n")
        (sub / "net.py").write_text("from torch import nn\nfrom blocks import WIDTH\n\n\n"
                                    "def build():\n    return nn.Conv2d(3, WIDTH, 1)\n")
    code, out, err = _cli(capsys, "table", "one/net.py:build", "--input", "3x8x8", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["totals"]["params"] == 3 * 4 + 4
    sys.modules.pop("blocks")  # each folder's own neighbour, as two separate programs would see them
    assert archcost.analyze(str(folder / "two" / "net.py") + ":build", "3x8x8").totals["params"] == 3 * 6 + 6
    assert archcost.analyze("one/net.py:build", "3x8x8").totals["params"] == 3 * 4 + 4  # imported once


def test_a_package_module_and_a_dotted_callable(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "pkg").mkdir()
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "zoo.py").write_text("from torch import nn\n\n\nclass Factory:\n    @staticmethod\n"
                                           "    def make(*, width=2):\n        return nn.Conv2d(3, width, 1)\n")
    code, out, err = _cli(capsys, "table", "pkg.zoo:Factory.make", "--input", "3x8x8", "--set", "width=5",
                          "--format", "json")
    assert code == 0, err
    assert json.loads(out)["totals"]["params"] == 3 * 5 + 5


@pytest.mark.parametrize(("files", "spec", "code", "message"), [
    ({}, "nomodule:build", 2, "cannot import 'nomodule' (from 'nomodule:build'): no module named 'nomodule'"),
    ({}, "missing.py:build", 2, "no file 'missing.py'"),
    ({}, "mymodels:buld", 2, "has no attribute 'buld' (from 'mymodels:buld'); did you mean build?"),
    ({}, "mymodels:NOT_CALLABLE", 2, "is int, not a callable"),
    ({}, "mymodels:not_a_module", 1, "returned int, not a torch.nn.Module"),
    ({"broken.py": "def build(:\n    pass\n"}, "broken.py:build", 1, "broken.py:1: SyntaxError:"),
    ({"boom.py": "import os\nraise RuntimeError('at import')\n"}, "boom:build", 1,
     "boom.py:2 in <module>: RuntimeError: at import"),
    ({"needs.py": "import no_such_dependency\n"}, "needs:build", 1,
     "needs.py:1 in <module>: ModuleNotFoundError: No module named 'no_such_dependency'"),
])
def test_every_failure_is_one_line(files: dict[str, str], spec: str, code: int, message: str, folder: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)
    got, out, err = _cli(capsys, "table", spec, "--input", "3x8x8")
    assert (got, out) == (code, "")
    assert err.count("\n") == 1 and err.startswith("archcost: error: ")
    assert message in err
    assert "internal error" not in err
