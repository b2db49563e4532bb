import os

# Hypothesis runs derandomised in CI so a failure reproduces; locally it explores.
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The disk cache of `archcost table` (archcost/cache.py) stays off: a test of the command must see the
# analysis it asks for, not a document an earlier run left in the user's cache. tests/test_cache.py turns it on
# in a temporary folder.
os.environ["ARCHCOST_NO_CACHE"] = "1"


import pytest  # noqa: E402


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    """The disk store on, in a temporary cache folder (ARCHCOST_CACHE_DIR); its entries live in results/."""
    base = tmp_path / "cache"
    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(base))
    monkeypatch.delenv("ARCHCOST_NO_CACHE", raising=False)
    return base
