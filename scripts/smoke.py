"""The quick profile: copy this working tree (tracked and untracked-but-not-ignored files) to a fresh folder,
merge profiles/smoke.yaml over its params.yaml and run the real DAG there with `dvc repro`.

    python scripts/smoke.py [--dest .smoke] [--seeds 0 1] [--fresh]

An existing copy at --dest is updated and resumed (finished runs are kept, an interrupted one resumes from its
last.ckpt); --fresh (make smoke FRESH=1) deletes it first. The train stage runs the study's tasks on Ray, as `make repro` does. Everything runs offline on the example plugin dataset (user_plugins/shapes.py); results land in <dest>/results/ and <dest>/mlflow.db.
"""
import argparse, dataclasses, os, shutil, subprocess, sys, time
from pathlib import Path
import yaml
from rtk_nb.files import write_text
from rtk_nb.study import load_study

ROOT = Path(__file__).resolve().parents[1]

def sh(*cmd, cwd, check=True, env=None):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=env)
    if check and r.returncode:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    return r

def smoke_env():
    env = {**os.environ, 'PATH': f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop('MLFLOW_TRACKING_URI', None)          # the copy's own sqlite store
    return env

def narrowed(params: Path, seeds=None, pairs=None) -> dict:
    "The profile that keeps only `seeds` and the pairs named `pairs` of a study, with only the teachers they and the ablation need."
    study = load_study(params)
    kept = [pr for pr in study.pairs if pairs is None or pr.name in pairs]
    need = {pr.teacher for pr in kept} | {study.ablation.teacher}
    return {**({'seeds': list(seeds)} if seeds is not None else {}),
            **({'pairs': [dataclasses.asdict(pr) for pr in kept], 'teachers': [t for t in study.teachers if t in need]}
               if pairs is not None else {})}

def make_copy(dest: Path, seeds=None, pairs=None, fresh=True) -> Path:
    """A git repository at `dest` holding this working tree with the quick profile applied (optionally only `seeds` and
    `pairs`). `fresh=False` keeps an existing copy's results, MLflow store and dvc.lock, and only brings its files up to date."""
    resume = not fresh and (dest / '.git').is_dir() and (dest / 'dvc.yaml').is_file()
    if dest.exists() and not resume: shutil.rmtree(dest)
    files = sh('git', 'ls-files', '-co', '--exclude-standard', '-z', cwd=ROOT).stdout.split('\0')
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(src, dest / f)
    env = smoke_env()
    sh('rtk-nb', 'apply-profile', 'profiles/smoke.yaml', cwd=dest, env=env)
    if seeds is not None or pairs is not None:       # a narrower study, merged as a profile (validated, written atomically)
        sh('rtk-nb', 'apply-profile', write_text(dest / 'narrow.yaml', yaml.safe_dump(narrowed(dest / 'params.yaml', seeds, pairs))),
           cwd=dest, env=env)
        (dest / 'narrow.yaml').unlink()
    if not resume: sh('git', 'init', '-q', cwd=dest)
    sh('git', 'add', '-A', cwd=dest)
    sh('git', '-c', 'user.name=smoke', '-c', 'user.email=smoke@localhost', 'commit', '-qm', 'smoke copy', cwd=dest, check=not resume)
    return dest

def repro(dest: Path, *args) -> subprocess.CompletedProcess:
    return sh('dvc', 'repro', *args, cwd=dest, env=smoke_env())

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dest', default=str(ROOT / '.smoke')); ap.add_argument('--seeds', type=int, nargs='*')
    ap.add_argument('--fresh', action='store_true', help='delete an existing copy first instead of resuming it')
    a = ap.parse_args()
    t0 = time.time()
    existed = (Path(a.dest) / 'dvc.lock').exists() and not a.fresh
    dest = make_copy(Path(a.dest).resolve(), a.seeds, fresh=a.fresh)
    print(f"quick profile in {dest} ({'resuming the existing copy' if existed else 'a fresh copy'}): dvc repro ...", flush=True)
    r = subprocess.run(['dvc', 'repro'], cwd=dest, env=smoke_env())
    if r.returncode: sys.exit(r.returncode)
    print(f"\ndone in {time.time() - t0:.0f}s. Report: {dest / 'results/report/results.md'}\n")
    print((dest / 'results/report/results.md').read_text())
