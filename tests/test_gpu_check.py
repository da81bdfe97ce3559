"""`make gpu-check` (scripts/gpu_check.py) stays working without a GPU: where there is none it says so and exits 0;
with --device cpu it runs the same fit / interrupt / resume / output checks on the CPU, and a run whose loss goes
non-finite makes it exit non-zero. The GPU figures themselves come from running it on a GPU, never from tests."""
import re, subprocess, sys
from pathlib import Path
import pytest, torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))
import gpu_check

SMALL = ['--device', 'cpu', '--pairs', 'resnet56-resnet20', '--compile', 'eager', '--n-train', '96', '--n-test', '32',
         '--batch-size', '32']

@pytest.mark.skipif(torch.cuda.is_available(), reason='this machine has a GPU: make gpu-check really runs there')
def test_no_gpu_says_so_and_exits_0():
    r = subprocess.run(['make', '-s', 'gpu-check'], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'no CUDA GPU on this machine' in r.stdout and 'nothing to check' in r.stdout, r.stdout

def test_cpu_run_checks_fit_resume_outputs():
    r = subprocess.run([sys.executable, str(ROOT / 'scripts/gpu_check.py'), *SMALL, '--methods', 'rtk', 'at+kd'],
                       capture_output=True, text=True, timeout=600)
    print(r.stdout[-1500:])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for m in ('rtk', 'at+kd', 'group×5 unfused', 'group×5 fused'):      # and the study's methods + a grid point as a group
        assert f"| {m} | resnet56-resnet20 | eager |" in r.stdout and '| ok |' in r.stdout, m
    assert '4 runs in' in r.stdout and '4 ok, 0 failed' in r.stdout

def test_nonfinite_loss_fails_the_check(monkeypatch, capsys):
    import rtk_nb.losses as L
    monkeypatch.setattr(L, 'rtk_loss', lambda *a, **k: torch.tensor(float('nan'), requires_grad=True))
    assert gpu_check.main([*SMALL, '--methods', 'vanilla', 'rtk', '--groups']) == 1
    out = capsys.readouterr().out
    assert '| vanilla | resnet56-resnet20 | eager |' in out and '1 ok, 1 failed' in out
    assert '| rtk | resnet56-resnet20 | eager | — | — | FAIL: DivergenceError' in out, out

def test_runs_on_a_bare_torch_install():
    """A lent GPU machine may hold torch and little else: gpu_check.py (fit, interrupt, resume, outputs) runs with every
    package beyond the library's core dependencies (pyproject.toml) made unimportable."""
    import tomllib
    core = {re.split(r'[<>=!~ \[]', d)[0].lower() for d in tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['dependencies']}
    block = ['fastcore', 'mlflow', 'pandas', 'matplotlib', 'ray', 'dvc', 'papermill', 'scipy', 'sklearn', 'scikit-learn']
    assert core == {'torch', 'torchvision', 'numpy', 'pyyaml', 'tqdm', 'filelock'} and not core & set(block), core
    code = (f"import sys, runpy; sys.modules.update(dict.fromkeys({block!r})); "
            f"sys.argv = {['gpu_check.py', *SMALL, '--methods', 'rtk', '--groups']!r}; "
            f"runpy.run_path({str(ROOT / 'scripts/gpu_check.py')!r}, run_name='__main__')")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert '| rtk | resnet56-resnet20 | eager |' in r.stdout and '1 ok, 0 failed' in r.stdout, r.stdout[-2000:]
