"""Plot data for `dvc plots show`: one CSV per (dataset, teacher -> student pair) in results/curves/, holding every
run's test accuracy per epoch (the pair's teacher, each method, each seed) in long form, with a `run` column that
names the line. dvc.yaml's top-level `plots:` draws each file as one figure (template .dvc/plots/runs.json).

    python scripts/curves.py [--params params.yaml] [--runs results/runs] [--out results/curves]
"""
import argparse, csv, os, tempfile
from pathlib import Path
import yaml

def runs_of(p: dict, dataset: str, pair: dict):
    "(label, method, seed, history.csv path) of every run drawn in the figure of `pair` on `dataset`."
    yield f"teacher {pair['teacher']}", 'teacher', p.get('teacher_seed', 0), Path(dataset) / f"teacher-{pair['teacher']}" / 'history.csv'
    for m in p['methods']:
        for s in p['seeds']:
            yield f"{m} s{s}", m, s, Path(dataset) / pair['name'] / f"{m}-s{s}" / 'history.csv'

def write(params='params.yaml', runs='results/runs', out='results/curves') -> list[Path]:
    p, runs, out = yaml.safe_load(Path(params).read_text()), Path(runs), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob('*.csv'): old.unlink()
    written = []
    for ds in p['datasets']:
        for pair in p['pairs']:
            rows = []
            for label, method, seed, rel in runs_of(p, ds, pair):
                with open(runs / rel, newline='') as f:   # a missing run is an error: the figure would hide it
                    for r in csv.DictReader(f):
                        rows.append({'epoch': int(r['epoch']), 'test_acc': float(r['test_acc']), 'run': label,
                                     'method': method, 'seed': seed})
            dest = out / f"{ds}_{pair['name']}.csv"
            fd, tmp = tempfile.mkstemp(dir=out, suffix='.tmp')
            with os.fdopen(fd, 'w', newline='') as f:
                w = csv.DictWriter(f, fieldnames=['epoch', 'test_acc', 'run', 'method', 'seed']); w.writeheader(); w.writerows(rows)
            os.replace(tmp, dest); written.append(dest)
    return written

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--params', default='params.yaml'); ap.add_argument('--runs', default='results/runs')
    ap.add_argument('--out', default='results/curves')
    a = ap.parse_args()
    for f in write(a.params, a.runs, a.out): print(f)
