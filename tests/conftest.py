"""Shared fixtures. `quick_profile`: ONE run of the quick profile (the shapes plugin dataset, one seed, one pair) per test session, in a fresh
copy of the working tree, used by the pipeline tests and the browser tests (it takes minutes on a CPU)."""
import os, sys
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
