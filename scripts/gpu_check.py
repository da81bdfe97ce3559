#!/usr/bin/env python
"""`make gpu-check`: prove the GPU path of rtk_nb in one command.

For every teacher -> student pair of the study (params.yaml `pairs`, read with `rtk_nb.study.load_study`) and every
registered method (`rtk_nb.losses.METHODS`: vanilla, kd, at, rtk, at+kd, rtk+kd and any a plugin adds), with
torch.compile eager, forward (the Distiller's forward) and step (the whole step captured: CUDA graphs), it trains through the real `rtk_nb.train.fit` exactly as a pipeline stage does on a GPU
(bf16 autocast, channels_last, fused SGD, device-resident data), on a CIFAR-100-shaped synthetic dataset registered
on the fly (nothing is downloaded; no MLflow, DVC or papermill is needed: tracking is off). Each run is interrupted
after its first epoch, then resumed from `last.ckpt` by a second `fit` call; it passes when

* the resumed run starts at epoch 2 and keeps epoch 1's record from the checkpoint,
* every loss of every epoch is finite,
* every output is written: config.yaml, model.ckpt, history.csv, metrics.json, and the run's last.ckpt in its identity's folder.

Then, per pair and compile mode, the study's methods and one more rtk grid point train as a group
(`rtk_nb.group.fit_group`), unfused and fused: interrupted after epoch 1, resumed, every run checked the same way
(its img/s column is the group's student-images/s).

It prints a table (method, pair, compile, img/s of the last epoch, peak GPU memory, ok) and exits 1 if any run
failed. On a machine without a CUDA GPU it says so and exits 0 (`--device cpu` runs the same checks on the CPU:
that is how the test suite keeps this script working).

    python scripts/gpu_check.py [--device auto|cpu|cuda] [--pairs ...] [--methods ...] [--compile eager forward step]
"""
from __future__ import annotations
import argparse, math, shutil, sys, tempfile, time, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]        # the repository: its params.yaml names the study's pairs
DATASET = 'gpu-check-cifar100'
OUTPUTS = ('config.yaml', 'model.ckpt', 'history.csv', 'metrics.json')


def study_pairs() -> dict:
    "The study's teacher -> student pairs (`rtk_nb.study.Pair`) by name, from the repository's params.yaml (its plugins loaded)."
    from rtk_nb.study import load_study
    return {pr.name: pr for pr in load_study(ROOT / 'params.yaml', root=ROOT).pairs}


class Interrupted(Exception):
    "Raised by the callback after the first epoch: the run is 'killed' there and resumed by a second fit."


def register_synthetic(n_train: int, n_test: int):
    "Register a CIFAR-100-shaped synthetic dataset (random uint8 images, 100 classes), built by the real `prepare`."
    import numpy as np
    from rtk_nb import data as rdata
    if DATASET in rdata.list_datasets(): return
    def convert(raw_dir, info):
        rng = np.random.default_rng(0)
        return {s: (rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), rng.integers(0, 100, n))
                for s, n in (('train', n_train), ('test', n_test))}
    rdata.register_dataset(rdata.DatasetInfo(
        DATASET, 100, (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762), True, ('train', 'test'), (), demo=True,
        description='gpu-check: random CIFAR-100-shaped images; for checking the training path, not for accuracy'), convert)


def base_config(args, root: Path) -> dict:
    return dict(dataset=DATASET, epochs=3, milestones=[2], batch_size=args.batch_size, device=args.device,
                data_root=str(root / 'data'), track=False, progress=False)


def check_run(cfg, first_epoch_row: dict) -> list[str]:
    "What is wrong with the finished, resumed run `cfg` (empty: nothing)."
    import json
    problems = []
    out = cfg.output_dir
    missing = [f for f in OUTPUTS if not (out / f).is_file()]
    if missing: problems.append(f"missing outputs {missing}")
    if (out / 'metrics.json').is_file():
        m = json.loads((out / 'metrics.json').read_text())
        if m.get('epochs') != cfg.epochs: problems.append(f"metrics.json says epochs={m.get('epochs')}")
    from rtk_nb.checkpoint import load_checkpoint
    from rtk_nb.train import run_fingerprint
    from rtk_nb.runstore import state_dir
    last = state_dir(out, run_fingerprint(cfg)) / 'last.ckpt'
    hist = load_checkpoint(last)['history'] if last.is_file() else []
    if len(hist) != cfg.epochs: problems.append(f"{len(hist)} epochs recorded, expected {cfg.epochs}")
    elif hist[0] != first_epoch_row: problems.append("epoch 1 was not kept across the resume")
    bad = [(h['epoch'], k) for h in hist for k, v in h.items() if k.startswith(('loss', 'train_loss')) and not math.isfinite(v)]
    if bad: problems.append(f"non-finite losses (epoch, name): {bad[:4]}")
    return problems


def checked(row: dict, dev, attempt) -> dict:
    """Fill `row` from `attempt()`, which trains and returns `(problems, img/s)`: ok or what failed, img/s, peak memory, seconds."""
    import torch
    t0 = time.perf_counter()
    try:
        if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
        problems, row['img/s'] = attempt()
        if dev.type == 'cuda': row['peak MiB'] = torch.cuda.max_memory_allocated(dev) / 2**20
        row['ok'] = 'ok' if not problems else 'FAIL: ' + '; '.join(problems)
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        row['ok'] = f"FAIL: {type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
    finally:
        try: torch._dynamo.reset()     # a fresh compile per config (dynamo's recompile limit would fall back to eager)
        except Exception: pass
    row['s'] = time.perf_counter() - t0
    return row


def run_one(args, root: Path, pair, method: str, compiled: str, teacher_ckpt: str | None) -> dict:
    "Interrupt after epoch 1, resume, check `pair` (a `Pair`) with `method` and compile mode `compiled`. Returns a row of the table."
    import torch
    from rtk_nb.train import TrainConfig, fit
    cfg = TrainConfig(**base_config(args, root), method=method, teacher=pair.teacher, student=pair.student, teacher_ckpt=teacher_ckpt,
                      compile=compiled, out_dir=str(root / 'students' / f"{pair.name}-{method}-compile-{compiled}"))
    first = {}
    def stop_after_first(epoch, r):
        if epoch == 1: first.update(r); raise Interrupted
    def attempt():
        try:
            fit(cfg, callbacks=[stop_after_first]); raise AssertionError('the first fit was not interrupted')
        except Interrupted: pass
        if (cfg.output_dir / 'model.ckpt').exists(): raise AssertionError('model.ckpt written by an interrupted run')
        r = fit(cfg)
        return check_run(cfg, first), r['history'][-1]['img_per_s']
    dev = torch.device('cuda' if args.device in ('auto', 'cuda') else args.device)
    return checked({'method': method, 'pair': pair.name, 'compile': compiled, 'img/s': None, 'peak MiB': None}, dev, attempt)


def run_group(args, root: Path, pair, compiled: str, fuse: bool, teacher_ckpt: str) -> dict:
    """The study's methods and one more rtk grid point as a group (`rtk_nb.group.fit_group`, fused or not): interrupted
    after epoch 1, resumed, every run checked as `run_one` checks one. Returns a row of the table (img/s: student-images/s)."""
    import torch
    from rtk_nb.train import TrainConfig
    from rtk_nb.group import fit_group
    from rtk_nb.study import load_study
    grid = [(m, {}) for m in load_study(ROOT / 'params.yaml', root=ROOT).methods] + [('rtk', {'keep': 0.25})]
    folder = root / 'groups' / f"{pair.name}-{compiled}-{'fused' if fuse else 'unfused'}"
    cfgs = [TrainConfig(**base_config(args, root), method=m, loss=l, teacher=pair.teacher, student=pair.student, teacher_ckpt=teacher_ckpt,
                        compile=compiled, out_dir=str(folder / f"{m}-{k}")) for k, (m, l) in enumerate(grid)]
    first = {}
    def stop_after_first(epoch, rows):
        if epoch == 1: first.update(enumerate(rows)); raise Interrupted
    def attempt():
        try:
            fit_group(cfgs, callbacks=[stop_after_first], fuse=fuse); raise AssertionError('the first fit_group was not interrupted')
        except Interrupted: pass
        res = fit_group(cfgs, fuse=fuse)
        problems = [f"{c.method} {c.loss}: {p}" for k, c in enumerate(cfgs) for p in check_run(c, first[k])]
        problems += [f"{c.method}: outcome {r['outcome']}" for c, r in zip(cfgs, res) if r['outcome'] != 'trained']
        return problems, len(cfgs) * res[0]['history'][-1]['img_per_s']
    dev = torch.device('cuda' if args.device in ('auto', 'cuda') else args.device)
    name = f"group×{len(grid)} {'fused' if fuse else 'unfused'}"
    return checked({'method': name, 'pair': pair.name, 'compile': compiled, 'img/s': None, 'peak MiB': None}, dev, attempt)


def table(rows: list[dict]) -> str:
    fmt = lambda v, f: '—' if v is None else format(v, f)
    lines = ['| method | pair | compile | img/s | peak MiB | ok | s |', '|---|---|---|---:|---:|---|---:|']
    lines += [f"| {r['method']} | {r['pair']} | {r['compile']} | {fmt(r['img/s'], ',.0f')} | {fmt(r['peak MiB'], ',.0f')} "
              f"| {r['ok']} | {r['s']:.1f} |" for r in rows]
    return '\n'.join(lines)


def parse(argv=None):
    from rtk_nb.config import COMPILE_MODES
    pairs = study_pairs()                 # loads the study's plugins first: their methods are registered below
    from rtk_nb.losses import METHODS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='auto', choices=['auto', 'cpu', 'cuda'],
                    help="auto: the GPU if there is one, else report that there is none and exit 0; cpu: run the checks on the CPU")
    ap.add_argument('--pairs', nargs='+', default=list(pairs), choices=list(pairs),
                    help="teacher-student pairs, by name in params.yaml (default: every pair of the study)")
    ap.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS),
                    help='methods (default: every registered one)')
    ap.add_argument('--compile', nargs='+', default=[m for m in COMPILE_MODES if m != 'auto'], choices=COMPILE_MODES,
                    help="eager: nothing compiled; forward: the Distiller's forward compiled; step: the whole step captured "
                         "(default: those three; auto is step on a GPU)")
    ap.add_argument('--groups', nargs='*', default=['unfused', 'fused'], choices=['unfused', 'fused'],
                    help="also train each pair's methods as a group (rtk_nb.group.fit_group), unfused and/or fused, "
                         "with every compile mode; none: skip the groups (default: both)")
    ap.add_argument('--batch-size', type=int, default=128, help="the recipe's batch size (default 128)")
    ap.add_argument('--n-train', type=int, default=2048, help='synthetic training images (default 2048: 16 steps an epoch)')
    ap.add_argument('--n-test', type=int, default=512, help='synthetic test images (default 512)')
    ap.add_argument('--keep', action='store_true', help='keep the temporary output folder (its path is printed)')
    args = ap.parse_args(argv)
    args.pairs = [pairs[name] for name in dict.fromkeys(args.pairs)]    # the `Pair`s, each once, in the order given
    return args


def main(argv=None) -> int:
    try: import torch
    except ImportError:
        print("gpu-check: torch is not installed in this Python; run `make venv` first", file=sys.stderr); return 2
    from rtk_nb.checks import ConfigError
    try: args = parse(argv)    # after the torch check: the study (params.yaml) is read with rtk_nb, which needs torch
    except ConfigError as e:
        print(f"gpu-check: {e}", file=sys.stderr); return 2
    if args.device in ('auto', 'cuda') and not torch.cuda.is_available():
        print(f"gpu-check: no CUDA GPU on this machine (torch {torch.__version__}, torch.cuda.is_available() is False): "
              "nothing to check here. Run `make gpu-check` on a machine with an NVIDIA GPU, or pass --device cpu "
              "to run the same checks on the CPU.")
        return 1 if args.device == 'cuda' else 0
    if args.device == 'auto': args.device = 'cuda'
    from rtk_nb.train import TrainConfig, train_teacher
    register_synthetic(args.n_train, args.n_test)
    root = Path(tempfile.mkdtemp(prefix='rtk_nb-gpu-check-'))      # fresh per call: no resume from an earlier check
    dev = torch.device(args.device)
    print(f"gpu-check on {torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'} (torch {torch.__version__}); "
          f"outputs in {root}", flush=True)
    t0, rows = time.perf_counter(), []
    try:
        teachers = {}
        for pair in args.pairs:
            if pair.teacher not in teachers:
                tc = TrainConfig(**{**base_config(args, root), 'epochs': 1, 'milestones': [1]}, teacher=pair.teacher,
                                 out_dir=str(root / 'teachers' / pair.teacher))
                train_teacher(tc); teachers[pair.teacher] = str(tc.output_dir / 'model.ckpt')
        for pair in args.pairs:
            for method in args.methods:
                for c in args.compile:
                    rows.append(run_one(args, root, pair, method, c, teachers[pair.teacher]))
                    r = rows[-1]
                    print(f"  {r['method']:>7} {r['pair']:<18} compile {r['compile']:<4} {r['ok'][:60]}", flush=True)
            for c in args.compile:
                for g in args.groups:
                    rows.append(run_group(args, root, pair, c, g == 'fused', teachers[pair.teacher]))
                    r = rows[-1]
                    print(f"  {r['method']:>7} {r['pair']:<18} compile {r['compile']:<4} {r['ok'][:60]}", flush=True)
    finally:
        if not args.keep: shutil.rmtree(root, ignore_errors=True)
    print(f"\n{table(rows)}\n\n{len(rows)} runs in {time.perf_counter() - t0:.0f} s; "
          f"{sum(r['ok'] == 'ok' for r in rows)} ok, {sum(r['ok'] != 'ok' for r in rows)} failed")
    return 0 if all(r['ok'] == 'ok' for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
