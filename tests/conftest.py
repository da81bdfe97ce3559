"""Shared fixtures. `quick_profile`: ONE run of the quick profile (digits, one seed) per test session, in a fresh
copy of the working tree, used by the pipeline tests and the browser tests (it takes minutes on a CPU)."""
import sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))
import smoke

@pytest.fixture(scope='session')
def quick_profile(tmp_path_factory) -> Path:
    dest = smoke.make_copy(tmp_path_factory.mktemp('smoke') / 'repo', seeds=[0])
    smoke.repro(dest)
    return dest
