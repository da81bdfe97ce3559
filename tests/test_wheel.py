"""The wheel: built offline from the exported library, installed into a fresh venv that holds only
torch/torchvision and the package's declared runtime dependencies, it imports and works."""
import glob, subprocess, sys, textwrap, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def run(*cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout

@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, ROOT)
    whl = glob.glob(str(out / "rtk_nb-*.whl"))
    assert len(whl) == 1, whl
    return Path(whl[0])

def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for mod in ("models", "losses", "data", "train"):
        assert f"rtk_nb/{mod}.py" in names, names
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    reqs = [l for l in meta.splitlines() if l.startswith("Requires-Dist:") and "extra ==" not in l]
    for dev_only in ("nbdev", "jupyterlab", "papermill", "dvc"):
        assert not any(dev_only in r for r in reqs), f"{dev_only} must not be a runtime dependency: {reqs}"
    print(f"\nwheel {wheel.name}: {wheel.stat().st_size/1024:.1f} KiB; runtime deps: {[r.split(':',1)[1].strip() for r in reqs]}")

def test_wheel_in_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    py = venv / "bin" / "python"
    # the same torch/torchvision as the dev environment, then the wheel with its declared dependencies only
    pins = [l.strip() for l in (ROOT / "requirements-dev.txt").read_text().splitlines()
            if l.startswith(("torch==", "torchvision=="))]
    run(py, "-m", "pip", "install", "-q", "--no-compile", *pins, str(wheel))
    freeze = run(py, "-m", "pip", "freeze")
    for dev_only in ("nbdev", "jupyterlab", "papermill", "dvc", "mlflow"):
        assert f"{dev_only}==" not in freeze, f"{dev_only} was pulled into a runtime install"
    code = textwrap.dedent("""
        import math, torch, rtk_nb
        from rtk_nb.models import create_model, stage_names
        from rtk_nb.losses import create_distiller, at_loss, rtk_loss
        s, t = create_model('resnet20'), create_model('resnet56')
        d = create_distiller('rtk', s, t, keep=0.5, tau=0.1)
        x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
        logits, losses = d(x, y)
        sum(losses.values()).backward()
        assert logits.shape == (4, 10) and set(losses) == {'ce', 'rtk'}
        print('ok', rtk_nb.__version__, {k: round(v.item(), 4) for k, v in losses.items()})
    """)
    out = run(py, "-c", code, cwd=tmp_path)   # outside the repo: the installed wheel is imported
    assert out.startswith("ok"), out
