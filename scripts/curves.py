"""Plot data for `dvc plots show`: one CSV per (dataset, teacher -> student pair) in results/curves/, holding every
run's test accuracy per epoch (the pair's teacher, each method, each seed) in long form, with a `run` column that
names the line. dvc.yaml's top-level `plots:` draws each file as one figure (template .dvc/plots/runs.json).

The runs and their folders come from the study (`rtk_nb.study.load_study`): each run's `history.csv` is read from its
folder, relative to --root (the project folder, where `dvc repro` runs).

    python scripts/curves.py [--params params.yaml] [--root .] [--out results/curves]
"""
import argparse, csv, io
from pathlib import Path
from rtk_nb.files import write_text
from rtk_nb.study import Study, Pair, Run, load_study

FIELDS = ['epoch', 'test_acc', 'run', 'method', 'seed']

def runs_of(study: Study, dataset: str, pair: Pair) -> list[Run]:
    "The runs drawn in the figure of `pair` on `dataset`: the pair's teacher, then its students (each method and seed)."
    return ([r for r in study.runs('teacher', dataset) if r.config.teacher == pair.teacher]
            + [r for r in study.runs('student', dataset) if r.pair == pair])

def label(run: Run) -> str:
    "The figure's name of `run`'s line."
    return f"teacher {run.config.teacher}" if run.config.is_teacher else f"{run.config.method} s{run.config.seed}"

def write(params='params.yaml', out='results/curves', root='.') -> list[Path]:
    study, out = load_study(params, root), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob('*.csv'): old.unlink()
    written = []
    for ds in study.datasets:
        for pair in study.pairs:
            rows = []
            for run in runs_of(study, ds, pair):
                with open(run.out_dir / 'history.csv', newline='') as f:   # a missing run is an error: the figure would hide it
                    for r in csv.DictReader(f):
                        rows.append({'epoch': int(r['epoch']), 'test_acc': float(r['test_acc']), 'run': label(run),
                                     'method': run.config.method, 'seed': run.config.seed})
            buf = io.StringIO(newline='')
            w = csv.DictWriter(buf, fieldnames=FIELDS); w.writeheader(); w.writerows(rows)
            written.append(write_text(out / f"{ds}_{pair.name}.csv", buf.getvalue()))
    return written

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--params', default='params.yaml', help='the study file')
    ap.add_argument('--root', default='.', help="the project folder that the study's run folders are relative to")
    ap.add_argument('--out', default='results/curves')
    a = ap.parse_args()
    for f in write(a.params, a.out, a.root): print(f)
