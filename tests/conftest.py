"""Shared fixtures. `quick_profile`: ONE run of the quick profile (the shapes plugin dataset, one seed, one pair) per test session, in a fresh
copy of the working tree, used by the pipeline tests and the browser tests (it takes minutes on a CPU)."""
import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))
import smoke

@pytest.fixture(scope='session')
def quick_profile(tmp_path_factory) -> Path:
    if os.environ.get('RTK_QUICK_PROFILE'):       # an existing quick-profile copy (made by scripts/smoke.py), to iterate
        dest = Path(os.environ['RTK_QUICK_PROFILE']).resolve()   # on the browser tests without rerunning the profile
        assert (dest / 'mlflow.db').exists() and (dest / 'dvc.lock').exists(), f"{dest} is not a quick-profile run"
        return dest
    # one seed and one pair (the faster one, which the ablation also uses): the whole DAG, at the least CPU cost
    dest = smoke.make_copy(tmp_path_factory.mktemp('smoke') / 'repo', seeds=[0], pairs=['resnet20-resnet8'])
    smoke.repro(dest)
    return dest
