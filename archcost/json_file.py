"""Reading a JSON file a user names (a device profile, a predictions file): one clear error when it cannot be read
or is not JSON, saying what the file should have been. Torch-free."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archcost.errors import UsageError


def read_json(path: Path, what: str) -> Any:
    """The document at ``path``; a UsageError naming ``what`` (e.g. "profile") when it cannot be read or parsed."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read {what} {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"{what} {path} is not JSON: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{what} {path} is not JSON: {error.msg} at line {error.lineno}") from None
