"""Shared fixtures. `quick_profile`: ONE run of the quick profile (the shapes plugin dataset, one seed, one pair) per test session, in a fresh
copy of the working tree, used by the pipeline tests and the browser tests (it takes minutes on a CPU)."""
import os, re, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))
import smoke

def pytest_collection_modifyitems(items):
    "The identity tests change the code of the shared quick-profile copy (a loss halved, a refactor re-keyed): they run last."
    items.sort(key=lambda i: i.path.name == 'test_pipeline_identity.py')

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

@pytest.fixture(scope='session')
def repo(quick_profile) -> Path:
    "The session's one quick-profile run, as the pipeline and identity tests name it."
    return quick_profile

def digits_run(d: Path, **kw) -> dict:
    """The smallest training a test of the engine needs: resnet8 on the digits demo set (1,437 training images),
    2 epochs, on the CPU, no progress bar, data under `d`; `kw` adds or replaces fields (method, teacher_ckpt, track...)."""
    return {'dataset': 'digits', 'teacher': 'resnet8', 'student': 'resnet8', 'epochs': 2, 'batch_size': 64, 'lr': 0.05,
            'milestones': [1], 'data_root': str(d / 'data'), 'progress': False, 'device': 'cpu', **kw}

@pytest.fixture(scope='session')
def digits_teacher(tmp_path_factory) -> str:
    "The checkpoint of a teacher trained by `digits_run` (once per test process) for the tests that distill from one."
    from rtk_nb.train import TrainConfig, train_teacher
    d = tmp_path_factory.mktemp('digits_teacher')
    r = train_teacher(TrainConfig(**digits_run(d, track=False), out_dir=str(d / 'teacher')))
    return str(Path(r['out_dir']) / 'model.ckpt')

def outcomes(log) -> dict[str, str]:
    """What the train stage did, run by run: run key -> outcome, from the lines rtk_nb.schedule prints as each task
    ends. `log`: the text, or a finished process (its stdout and stderr)."""
    log = log if isinstance(log, str) else log.stdout + log.stderr
    return {k: o for o, k in re.findall(r"^\s*(trained|restored|reused|closed|failed)\s+(?:\S+%\s+)?(\w+@\S+)\s*$", log, re.M)}

class _QuietHandler(__import__('http.server').server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

@pytest.fixture(scope='session')
def docs_site(tmp_path_factory):
    """`mkdocs build` (what `make docs` runs) into a temporary folder, served on a free loopback port: the URL.
    One build per session, for the site checks (tests/test_docs.py) and the browser checks (tests/test_ui.py)."""
    import functools, http.server, subprocess, threading
    site = tmp_path_factory.mktemp('site')
    env = {**os.environ, 'NO_MKDOCS_2_WARNING': '1'}
    r = subprocess.run([str(Path(sys.executable).parent / 'mkdocs'), 'build', '--strict', '--quiet', '-d', str(site)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{srv.server_address[1]}'
    finally: srv.shutdown(); srv.server_close()
