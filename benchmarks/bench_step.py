#!/usr/bin/env python
"""Throughput of one distillation training step: a conventional PyTorch loop vs rtk_nb's real step, side by side.

Pairs: the study's (params.yaml `pairs`, read with `rtk_nb.study.load_study`); methods: any registered one
(`rtk_nb.losses.METHODS`) or `teacher` (default: the study's `methods`).

* conventional: the loop of AT's and RepDistiller's public code -- a torchvision-style Dataset over PIL images,
  RandomCrop(32, 4) + RandomHorizontalFlip + ToTensor + Normalize in DataLoader workers, fp32, NCHW,
  teacher under `torch.no_grad()`, `loss.item()` and accuracy `.item()` every step, plain `torch.optim.SGD`,
  `cudnn.benchmark = True` on CUDA (as both codebases set it). The losses are rtk_nb's, so only the pipeline differs.
* rtk_nb: `rtk_nb.data.DeviceLoader` over uint8 tensors on the device and `rtk_nb.train.train_epoch`, with the
  student, Distiller and optimizer from `rtk_nb.train.build_training`, exactly as `fit` builds them (bf16 autocast, channels_last
  and fused SGD on CUDA; foreach SGD on CPU; `--compile forward` compiles the Distiller's forward, `--compile step` the whole
  step, as `TrainConfig.compile` does).

With `--group`, it measures instead what training students together saves (`rtk_nb.group`): for the study's methods
and for the ablation's keep × tau grid (as RTK runs), on each pair, side by side in one run:

* solo: the K runs one after another, each with its own teacher forward per step (what `fit` does run by run);
* group: the K students stepped together on one teacher forward per batch (`fit_group`, unfused);
* fused: the same, the students stepped as one wide model (`fit_group(..., fuse=True)`),

all in student-images/s: K × images / wall time (for solo, the sum of the K runs' times), each built exactly as
`fit_group` builds it (`build_training`, `GroupForward`, `make_step`, `train_epoch`). Warm-up (compilation) is timed apart.

Data are synthetic CIFAR-shaped uint8 images (seeded) with 100 classes and CIFAR-100's mean/std; nothing is downloaded.
img/s is steady state: `--warmup` steps are run first and not timed, then `--steps` steps are timed by wall clock
(with `torch.cuda.synchronize()` on CUDA). These are benchmark figures, not timed tests.
"""
from __future__ import annotations
import argparse, datetime, functools, gc, math, os, platform, shlex, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, DataLoader
from torchvision import transforms

from rtk_nb import data as rdata
from rtk_nb.losses import create_criterion, method_needs_teacher, METHODS, TEACHER
from rtk_nb.models import create_model, FeatureHooks
from rtk_nb.checkpoint import save_checkpoint
from rtk_nb.files import write_text
from rtk_nb.train import TrainConfig, train_epoch, evaluate, build_training, make_step, load_teacher, amp_dtype, use_channels_last
from rtk_nb.group import GroupForward, check_group
from rtk_nb.config import COMPILE_MODES
from rtk_nb.pipeline import SPLIT_SIZES as SPLITS    # train / test images per epoch of each dataset of the study
from rtk_nb.study import Study, Pair, Run, load_study

ROOT = Path(__file__).resolve().parents[1]        # the repository: its params.yaml names the pairs measured here
PIPELINES = ('conventional', 'rtk_nb')
DATASET = 'cifar100'
TRAIN_SET, EPOCHS = 50_000, 200      # for the 200-epoch estimate (CIFAR-100 train split, the paper's recipe)
EVAL_SET = 10_000

@functools.cache
def study() -> Study:
    "The repository's study (params.yaml, its plugins loaded): the pairs measured here, and the default methods."
    return load_study(ROOT / 'params.yaml', root=ROOT)

def pairs() -> dict[str, Pair]:
    "The study's teacher -> student pairs, by name."
    return {pr.name: pr for pr in study().pairs}

# ----------------------------------------------------------------------------------------------------------------
# data

def synthetic_data(n: int, num_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    "`n` random CIFAR-shaped images (uint8 N×3×32×32) and labels, reproducible from `seed`."
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), rng.integers(0, num_classes, n, dtype=np.int64)

class PILDataset(Dataset):
    "torchvision's CIFAR `Dataset`: HWC uint8 arrays, a PIL image per `__getitem__`, then the transform."
    def __init__(self, x_nchw: np.ndarray, y: np.ndarray, transform):
        self.data = np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1))    # N×32×32×3, as torchvision's CIFAR100.data
        self.targets = [int(t) for t in y]
        self.transform = transform
    def __len__(self): return len(self.data)
    def __getitem__(self, i):
        img, target = Image.fromarray(self.data[i]), self.targets[i]
        return self.transform(img), target

# ----------------------------------------------------------------------------------------------------------------
# helpers

def sync(dev: torch.device):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def device_name(dev: torch.device) -> str:
    if dev.type == 'cuda': return f"{torch.cuda.get_device_name(dev)} (CUDA {torch.version.cuda})"
    model = platform.processor() or 'unknown CPU'
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): model = line.split(':', 1)[1].strip(); break
    except OSError: pass
    return f"{model}, {os.cpu_count()} logical cores, torch.get_num_threads()={torch.get_num_threads()}"

def make_cfg(args, pair: str, method: str) -> TrainConfig:
    "The `TrainConfig` of the rtk_nb run (the paper's recipe and loss settings are TrainConfig's defaults)."
    teacher, student = pairs()[pair].teacher, pairs()[pair].student
    return TrainConfig(dataset=DATASET, method=method, teacher=teacher, student=student, batch_size=args.batch_size,
                       teacher_ckpt=teacher_checkpoint(teacher, args.seed) if method != TEACHER and method_needs_teacher(method) else None,
                       device=args.device, compile=args.compile, track=False, progress=False, seed=args.seed)

def teacher_checkpoint(arch: str, seed: int) -> str:
    "A real checkpoint of a random-init teacher (speed does not depend on its weights), which the rtk_nb run loads as fit does."
    path = Path(tempfile.gettempdir()) / f"rtk_nb-bench-{os.getpid()}" / f"{arch}-seed{seed}.ckpt"
    if not path.exists():
        torch.manual_seed(seed)
        save_checkpoint({'model': create_model(arch, 100).state_dict(), 'arch': arch,
                         'config': {'teacher': arch, 'dataset': DATASET}}, path)
    return str(path)

def reset_between_configs(dev):
    gc.collect()
    if dev.type == 'cuda': torch.cuda.empty_cache()
    # every config is a new Distiller/model: without a reset, dynamo's per-code-object recompile limit would
    # silently send later configs back to eager
    try: torch._dynamo.reset()
    except Exception: pass

def peak_mib(dev):
    return torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == 'cuda' else None

def start_peak(dev):
    if dev.type == 'cuda':
        sync(dev); torch.cuda.reset_peak_memory_stats(dev)

# ----------------------------------------------------------------------------------------------------------------
# 1. the conventional loop (the reference)

def run_conventional(args, dev, pair, method, x, y, info) -> dict:
    teacher_name, student_name = pairs()[pair].teacher, pairs()[pair].student
    cfg = make_cfg(args, pair, method)          # only for the loss settings and the recipe
    crit = create_criterion(method, **cfg.loss).to(dev)
    torch.backends.cudnn.benchmark = dev.type == 'cuda'   # AT's and RepDistiller's scripts set it
    start_peak(dev)
    torch.manual_seed(args.seed)
    model_t = create_model(teacher_name, info.num_classes).to(dev).eval() if crit.needs_teacher else None
    model_s = create_model(student_name, info.num_classes).to(dev)
    s_hooks = FeatureHooks(model_s, model_s.feature_layers) if crit.needs_features else None
    t_hooks = FeatureHooks(model_t, model_t.feature_layers) if crit.needs_features else None
    opt = torch.optim.SGD(model_s.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor(), transforms.Normalize(info.mean, info.std)])
    dl = DataLoader(PILDataset(x, y, tf), batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                    pin_memory=dev.type == 'cuda', persistent_workers=False)
    total = args.warmup + args.steps
    assert len(dl) == total, (len(dl), total)
    model_s.train()
    losses_sum = acc_sum = 0.0
    t0, stamps = None, []
    try:
        for i, (xb, yb) in enumerate(dl):
            if i == args.warmup: sync(dev); t0 = time.perf_counter()
            if i >= args.warmup: stamps.append(time.perf_counter())
            xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
            t_logits = t_feats = None
            if model_t is not None:
                with torch.no_grad():
                    t_logits = model_t(xb)
                    t_feats = t_hooks.features if t_hooks else None
            s_logits = model_s(xb)
            s_feats = s_hooks.features if s_hooks else None
            losses = crit(s_logits, yb, t_logits, s_feats, t_feats)
            loss = sum(losses.values())
            acc = (s_logits.argmax(1) == yb).float().mean() * 100
            losses_sum += loss.item(); acc_sum += acc.item()       # AverageMeter.update(loss.item()), top1.update(acc1[0])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sync(dev)
        stamps.append(time.perf_counter()); dt = stamps[-1] - t0
    finally:
        for h in (s_hooks, t_hooks):
            if h: h.remove()
    # every step ends in .item(), so per-step wall times are real on CUDA too
    return {'img_s': args.steps * args.batch_size / dt, 'time_s': dt, 'peak_mib': peak_mib(dev),
            'median_img_s': args.batch_size / float(np.median(np.diff(stamps)))}

# ----------------------------------------------------------------------------------------------------------------
# 2. rtk_nb's real step: DeviceLoader + train_epoch, built like rtk_nb.train.fit

def run_rtk_nb(args, dev, pair, method, x, y, info, estimate_eval=False) -> dict:
    cfg = make_cfg(args, pair, method)
    torch.backends.cudnn.benchmark = dev.type == 'cuda'   # as fit sets it
    start_peak(dev)
    cl = use_channels_last(cfg, dev)
    needs_teacher = cfg.needs_teacher
    teacher = load_teacher(cfg, info.num_classes, dev) if needs_teacher else None      # as fit loads it
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    kw = dict(mean=info.mean, std=info.std, flip=info.flip, seed=cfg.seed, device=dev, channels_last=cl)
    warm_dl = rdata.DeviceLoader(xt[:args.warmup * args.batch_size], yt[:args.warmup * args.batch_size],
                                 cfg.batch_size, train=True, **kw)
    meas_dl = rdata.DeviceLoader(xt[args.warmup * args.batch_size:], yt[args.warmup * args.batch_size:],
                                 cfg.batch_size, train=True, **kw)
    assert len(warm_dl) == args.warmup and len(meas_dl) == args.steps
    model, distiller, opt = build_training(cfg, dev, info.num_classes, teacher)   # exactly what fit trains
    amp = amp_dtype(cfg, dev)
    step = make_step(cfg, distiller, opt, amp)                                  # exactly fit's step
    try:
        train_epoch(step, distiller, opt, warm_dl, 0, cfg)        # warm-up (and compilation with --compile forward/step)
        stamps = []
        def timed_step(xb, yb):                  # the start of every step (on CPU the previous one has finished)
            stamps.append(time.perf_counter()); return step(xb, yb)
        sync(dev); t0 = time.perf_counter()
        row = train_epoch(timed_step, distiller, opt, meas_dl, 1, cfg)
        sync(dev); stamps.append(time.perf_counter()); dt = stamps[-1] - t0
        out = {'img_s': args.steps * args.batch_size / dt, 'time_s': dt, 'peak_mib': peak_mib(dev),
               'train_epoch_img_s': row['img_per_s'],
               # on CUDA the steps are asynchronous (no sync per step): per-step times mean nothing there
               'median_img_s': args.batch_size / float(np.median(np.diff(stamps))) if dev.type == 'cpu' else None}
        if estimate_eval:     # fit evaluates the (uncompiled) student on the test split after every epoch
            ev = rdata.DeviceLoader(xt, yt, cfg.batch_size, train=False, **kw)
            evaluate(model, ev, amp)
            sync(dev); t1 = time.perf_counter()
            evaluate(model, ev, amp)
            sync(dev); out['eval_img_s'] = len(xt) / (time.perf_counter() - t1)
        return out
    finally:
        distiller.remove_hooks()

# ----------------------------------------------------------------------------------------------------------------
# 3. students together (--group): solo one after another, the group unfused, the group fused

GROUP_MODES = ('solo', 'group', 'fused')

def grid_cfgs(args, pair: str, grid: str) -> list[TrainConfig]:
    "The runs of a group: the study's methods ('methods') or the ablation's keep × tau points as rtk runs ('ablation'), on `pair`."
    if grid == 'methods': return [make_cfg(args, pair, m) for m in study().methods]
    ab, rtk = study().ablation, make_cfg(args, pair, 'rtk')
    return [rtk.replace(loss={'keep': k, 'tau': t}) for k in ab.keep for t in ab.tau]

def run_group(args, dev, cfgs: list[TrainConfig], x, y, info, mode: str) -> dict:
    "Student-images/s of `cfgs` trained `mode` ('solo': one after another; 'group'; 'fused'), built as fit_group builds them."
    cfgs = check_group([c.replace(out_dir=f"bench/{k}") for k, c in enumerate(cfgs)])
    torch.backends.cudnn.benchmark = dev.type == 'cuda'
    start_peak(dev)
    lead = cfgs[0]
    distilled = [c for c in cfgs if c.needs_teacher]
    teacher = load_teacher(distilled[0], info.num_classes, dev) if distilled else None
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    kw = dict(mean=info.mean, std=info.std, flip=info.flip, seed=lead.seed, device=dev, channels_last=use_channels_last(lead, dev))
    cut = args.warmup * args.batch_size
    warm_dl = rdata.DeviceLoader(xt[:cut], yt[:cut], lead.batch_size, train=True, **kw)
    meas_dl = rdata.DeviceLoader(xt[cut:], yt[cut:], lead.batch_size, train=True, **kw)
    amp, timed, warm = amp_dtype(lead, dev), 0.0, 0.0
    for part in ([[c] for c in cfgs] if mode == 'solo' else [cfgs]):
        built = [build_training(c, dev, info.num_classes, teacher) for c in part]
        fwd, opts = GroupForward([d for _, d, _ in built], fuse=mode == 'fused'), [o for _, _, o in built]
        step = make_step(lead, fwd, opts, amp)
        try:
            t = time.perf_counter(); train_epoch(step, fwd, opts, warm_dl, 0, lead); sync(dev); warm += time.perf_counter() - t
            t = time.perf_counter(); train_epoch(step, fwd, opts, meas_dl, 1, lead); sync(dev); timed += time.perf_counter() - t
        finally:
            for _, d, _ in built: d.remove_hooks()
        reset_between_configs(dev)
    return {'student_img_s': len(cfgs) * args.steps * args.batch_size / timed, 'time_s': timed, 'warmup_s': warm,
            'peak_mib': peak_mib(dev)}

def group_report(args, dev, results: dict, argv, load_start='n/a') -> str:
    L = ['# rtk_nb: students trained together (bench_step.py --group)\n',
         f"- device: {device_name(dev)}", f"- torch {torch.__version__}, python {platform.python_version()}",
         f"- batch size {args.batch_size}, warm-up steps {args.warmup} (timed apart: compilation happens there), timed steps "
         f"{args.steps}, repeats {args.repeats} (best kept), compile {args.compile}",
         f"- date {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}; load average (1/5/15 min) at start "
         f"{load_start}, at end {loadavg()} on {os.cpu_count()} logical cores",
         f"- command: `{argv}`",
         '- synthetic CIFAR-shaped uint8 data, 100 classes; benchmark figures, not timed tests\n',
         'student-images/s = K × images / wall time. solo: the K runs one after another (K × images / the sum of their '
         'times); its figure is also the single-run img/s. group: one teacher forward per batch, K students stepped on it. '
         'fused: the group with the students as one wide model (torch.func vmap).\n',
         '| pair | runs | K | solo student-img/s | group student-img/s | group / solo | fused student-img/s | fused / solo | warm-up s (solo / group / fused) |',
         '|---|---|---:|---:|---:|---:|---:|---:|---|']
    for (pair, grid), r in results.items():
        solo = r['solo']['student_img_s']
        cell = lambda m: (f"{r[m]['student_img_s']:.1f}", f"{r[m]['student_img_s'] / solo:.2f}") if m in r else ('n/a', 'n/a')
        (g, gr), (f, fr) = cell('group'), cell('fused')
        L.append(f"| {pair} | {grid} | {r['K']} | {solo:.1f} | {g} | {gr} | {f} | {fr} | "
                 f"{' / '.join(fmt(r[m]['warmup_s'], '.1f') if m in r else 'n/a' for m in GROUP_MODES)} |")
    L.append(targets_text(results, dev))
    return '\n'.join(L) + '\n'

def start_measuring(args, dev, info, what: str = ''):
    "The synthetic images of every measured config, the load average at the start, and the header line printed."
    x, y = synthetic_data((args.warmup + args.steps) * args.batch_size, info.num_classes, args.seed)
    print(f"device: {device_name(dev)}; batch {args.batch_size}, warm-up {args.warmup}, steps {args.steps}{what}", flush=True)
    return x, y, loadavg()

def targets_text(results: dict, dev) -> str:
    """The targets' verdicts: on the CPU, WRN-40-2 -> WRN-16-2's 4-method group >= 1.25x solo and its 20-point ablation
    group >= 1.5x; every group, under fuse='auto', no slower than solo (>= 1.00x)."""
    from rtk_nb.group import FUSE_AUTO
    auto_mode = 'fused' if FUSE_AUTO.get(dev.type) else 'group'
    L = ['\nTargets (CPU, wrn_40_2-wrn_16_2: the 4-method group >= 1.25x solo, a 20-point ablation group >= 1.5x; every '
         f"group no slower than solo under fuse='auto', which is {'fused' if FUSE_AUTO.get(dev.type) else 'unfused'} on {dev.type}):\n"]
    for (pair, grid), r in results.items():
        if auto_mode not in r: continue
        auto = r[auto_mode]['student_img_s'] / r['solo']['student_img_s']
        wrn = (pairs()[pair].teacher, pairs()[pair].student) == ('wrn_40_2', 'wrn_16_2') and dev.type == 'cpu'
        goal = (1.25 if grid == 'methods' else 1.5 if r['K'] >= 20 else 1.0) if wrn else 1.0
        L.append(f"- {pair} {grid} (K={r['K']}): auto / solo = {auto:.2f} -> {'met' if auto >= goal else 'NOT met'} (>= {goal:.2f})")
    return '\n'.join(L)

def main_group(args, dev, info, cmd) -> dict:
    x, y, load_start = start_measuring(args, dev, info, ' --group')
    results = {}
    for pair in args.pairs:
        for grid in args.grids:
            cfgs = grid_cfgs(args, pair, grid)
            r = results.setdefault((pair, grid), {'K': len(cfgs)})
            for rep in range(args.repeats):
                for mode in args.group_modes:          # back to back, so drifting load hits all alike
                    t = time.perf_counter()
                    m = run_group(args, dev, cfgs, x, y, info, mode)
                    if mode not in r or m['student_img_s'] > r[mode]['student_img_s']: r[mode] = m
                    print(f"  {pair:<18} {grid:<9} K={len(cfgs):<3} {mode:<6} {m['student_img_s']:8.1f} student-img/s  "
                          f"(warm-up {m['warmup_s']:.1f} s, timed {m['time_s']:.1f} s, {time.perf_counter() - t:.1f} s)", flush=True)
    md = group_report(args, dev, results, cmd, load_start)
    print('\n' + md)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_text(args.out, md); print(f"written to {args.out}")
    return results

# ----------------------------------------------------------------------------------------------------------------
# report

def fmt(v, spec='.0f'):
    return 'n/a' if v is None else format(v, spec)

def loadavg() -> str:
    try: return '/'.join(f"{v:.2f}" for v in os.getloadavg())
    except OSError: return 'n/a'

def report(args, dev, results, argv, load_start='n/a') -> str:
    L = []
    L.append('# rtk_nb training-step throughput benchmark\n')
    L.append(f"- device: {device_name(dev)}")
    L.append(f"- torch {torch.__version__}, python {platform.python_version()}")
    L.append(f"- batch size {args.batch_size}, warm-up steps {args.warmup}, timed steps {args.steps}, "
             f"repeats {args.repeats} (best kept), conventional DataLoader workers {args.workers}, "
             f"compile {args.compile}")
    L.append(f"- date {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}; load average (1/5/15 min) "
             f"at start {load_start}, at end {loadavg()} on {os.cpu_count()} logical cores (other processes make CPU figures noisy)")
    L.append(f"- command: `{argv}`")
    L.append('- synthetic CIFAR-shaped uint8 data, 100 classes, CIFAR-100 mean/std; rtk_nb: '
             f"amp {amp_dtype(TrainConfig(device=args.device), dev)}, channels_last "
             f"{use_channels_last(TrainConfig(device=args.device), dev)}, SGD {'fused' if dev.type == 'cuda' else 'foreach'}")
    L.append('- benchmark figures, not timed tests\n')
    L.append('| pair | method | pipeline | img/s | ratio to conventional | peak GPU memory (MiB) '
             '| img/s from median step | ratio (median step) |')
    L.append('|---|---|---|---:|---:|---:|---:|---:|')
    for (pair, method), r in results.items():
        conv = r.get('conventional', {})
        for pl in PIPELINES:
            if pl not in r: continue
            v, med = r[pl]['img_s'], r[pl].get('median_img_s')
            ratio = '1.00' if pl == 'conventional' else (f"{v / conv['img_s']:.2f}" if conv else 'n/a')
            mratio = ('1.00' if pl == 'conventional' else f"{med / conv['median_img_s']:.2f}") \
                if med and conv.get('median_img_s') else 'n/a'
            L.append(f"| {pair} | {method} | {pl} | {v:.1f} | {ratio} | {fmt(r[pl]['peak_mib'])} | {fmt(med, '.1f')} | {mratio} |")
    L.append('\nimg/s: timed steps × batch / wall time (the figure the targets use). "median step": batch / median '
             'per-step time, robust to bursts of load from other processes (CPU only for rtk_nb: on CUDA its steps are '
             'asynchronous).')
    measured = list(dict.fromkeys(p for p, _ in results))      # the pairs measured, in the order measured
    if any((p, 'at') in results and (p, 'rtk') in results for p in measured):
        L.append('\nRTK overhead over AT (img/s ratio rtk / at; 1.00 = no overhead):\n')
        L.append('| pair | pipeline | AT img/s | RTK img/s | rtk / at |')
        L.append('|---|---|---:|---:|---:|')
        for pair in measured:
            if (pair, 'at') not in results or (pair, 'rtk') not in results: continue
            for pl in PIPELINES:
                a, b = results[(pair, 'at')].get(pl), results[(pair, 'rtk')].get(pl)
                if a and b: L.append(f"| {pair} | {pl} | {a['img_s']:.1f} | {b['img_s']:.1f} | {b['img_s'] / a['img_s']:.2f} |")
    # targets
    L.append('\nTargets:\n')
    ratios = {(p, m): r['rtk_nb']['img_s'] / r['conventional']['img_s']
              for (p, m), r in results.items() if 'rtk_nb' in r and 'conventional' in r}
    if dev.type == 'cuda':
        kd = [v for (p, m), v in ratios.items() if m == 'kd']
        if kd: L.append(f"- rtk_nb KD step >= 5x conventional: {', '.join(f'{v:.2f}x' for v in kd)} -> "
                        f"{'met' if min(kd) >= 5 else 'NOT met'}")
        rk = [results[(p, 'rtk')]['rtk_nb']['img_s'] / results[(p, 'at')]['rtk_nb']['img_s'] for p in measured
              if (p, 'rtk') in results and (p, 'at') in results and 'rtk_nb' in results[(p, 'rtk')]]
        if rk: L.append(f"- RTK within 10% of AT img/s (rtk_nb): {', '.join(f'{v:.2f}' for v in rk)} -> "
                        f"{'met' if min(rk) >= 0.9 else 'NOT met'}")
    elif ratios:
        L.append(f"- CPU: rtk_nb / conventional >= 1.0 for every method: min {min(ratios.values()):.2f} "
                 f"({min(ratios, key=ratios.get)[0]} {min(ratios, key=ratios.get)[1]}) -> "
                 f"{'met' if min(ratios.values()) >= 1.0 else 'NOT met'}")
    wrn = next((p for p in measured if (pairs()[p].teacher, pairs()[p].student) == ('wrn_40_2', 'wrn_16_2')), None)
    est = results.get((wrn, 'rtk'), {}).get('rtk_nb')
    if est and est.get('eval_img_s'):
        tr = EPOCHS * TRAIN_SET / est['img_s']; ev = EPOCHS * EVAL_SET / est['eval_img_s']
        L.append(f"- 200-epoch WRN-40-2 -> WRN-16-2 RTK run on CIFAR-100 (rtk_nb), estimated: train "
                 f"{EPOCHS} x {TRAIN_SET:,} / {est['img_s']:.0f} img/s = {tr / 60:.1f} min + eval {EPOCHS} x {EVAL_SET:,} / "
                 f"{est['eval_img_s']:.0f} img/s = {ev / 60:.1f} min -> {(tr + ev) / 60:.1f} min "
                 f"(target on an H100: <= 10 min{'' if dev.type == 'cuda' else '; not meaningful on CPU'})")
    return '\n'.join(L) + '\n'

# ----------------------------------------------------------------------------------------------------------------
# the whole study, estimated from the measured throughput

def _img_s(results, teacher: str, student: str | None, method: str):
    """Measured rtk_nb img/s of `method` on the measured pair with these architectures (a teacher run: `student` None, any pair
    of that teacher); a method not measured (e.g. at+kd) takes the slowest measured one of its pair."""
    names = [n for n in dict.fromkeys(p for p, _ in results)
             if pairs()[n].teacher == teacher and student in (None, pairs()[n].student)]
    for n in names:
        r = results.get((n, method), {}).get('rtk_nb')
        if r: return r['img_s'], ''
    alt = [v['rtk_nb']['img_s'] for (p, m), v in results.items() if p in names[:1] and m != TEACHER and 'rtk_nb' in v]
    return (min(alt), '*') if alt else (math.nan, '?')

def run_img_s(results, run: Run):
    "Measured rtk_nb img/s of a study run: a teacher's own measurement, a student's (or ablation point's) on its pair's architectures."
    if run.config.is_teacher: return _img_s(results, run.config.teacher, None, TEACHER)
    return _img_s(results, run.pair.teacher, run.pair.student, run.config.method)

def study_estimate(study: Study, results: dict, dev) -> str:
    """Device-hours of `dvc repro` for `study`: per run, epochs × train images / img/s + epochs × test images / eval img/s,
    with each run's epochs (its recipe's, or the `train` block's) and the img/s measured here (batch size of this benchmark,
    synthetic data). Runs with the same identity train once (`Study.trainings`): counted once."""
    evs = [v['rtk_nb']['eval_img_s'] for v in results.values() if v.get('rtk_nb', {}).get('eval_img_s')]
    ev = min(evs) if evs else None          # the slower student's evaluation, for every run
    unit = 'GPU' if dev.type == 'cuda' else 'CPU'
    L = [f'Study estimate for the study file given by --study ({unit}-hours; img/s measured above, eval at '
         f"{fmt(ev)} img/s; * = method not measured, its pair's slowest measured method used):\n",
         '| dataset | recipe | epochs | runs | train h | eval h | total h |', '|---|---|---:|---:|---:|---:|---:|']
    total = 0.0
    for ds in study.datasets:
        n_tr, n_te = SPLITS.get(ds, (math.nan, math.nan))
        runs = study.trainings(ds)                               # a run linked to an earlier twin is trained once
        speed = [run_img_s(results, r) for r in runs]
        tr = sum(r.config.epochs * n_tr / v for r, (v, _) in zip(runs, speed)) / 3600
        evh = sum(r.config.epochs for r in runs) * n_te / ev / 3600 if ev else math.nan
        epochs = '/'.join(str(e) for e in sorted({r.config.epochs for r in runs}))
        flags = ''.join(sorted({f for _, f in speed if f}))
        L.append(f"| {ds}{flags} | {study.recipes[ds]} | {epochs} | {len(runs)} | {tr:.2f} | {evh:.2f} | {tr + evh:.2f} |")
        total += tr + evh
    if math.isnan(total):
        L.append("\nstudy estimate: incomplete (? = a pair of the study or its teacher not measured: run with every pair, "
                 "--methods vanilla kd at rtk teacher, and without --no-eval-estimate)")
    else: L.append(f"\nstudy estimate: {total:.1f} {unit}-hours ({device_name(dev)}; target: <= 8 H100-hours)")
    return '\n'.join(L) + '\n'

# ----------------------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument('--device', choices=('cpu', 'cuda'), default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--steps', type=int, help='timed steps per config (default: 5 on cpu, 100 on cuda)')
    ap.add_argument('--warmup', type=int, help='untimed steps first (default: 2 on cpu, 20 on cuda)')
    ap.add_argument('--batch-size', type=int, help='default: 64 on cpu, 128 (the recipe) on cuda')
    ap.add_argument('--pairs', nargs='+', choices=list(pairs()), default=list(pairs()),
                    help="pairs, by name in the repository's params.yaml (default: every pair of the study)")
    ap.add_argument('--methods', nargs='+', choices=[*METHODS, TEACHER], default=list(study().methods),
                    help=f"any registered method, or {TEACHER!r}: the pair's teacher trained alone (for the study estimate; "
                         "rtk_nb pipeline only). Default: the study's methods")
    ap.add_argument('--study', type=Path, help='a params.yaml: print the estimated device-hours of its whole study from the '
                                               'measured img/s (needs the teacher method measured too)')
    ap.add_argument('--pipelines', nargs='+', choices=PIPELINES, default=list(PIPELINES))
    ap.add_argument('--workers', type=int, help='conventional DataLoader workers (default: 2 on cpu, min(8, cores) on cuda)')
    ap.add_argument('--repeats', type=int, default=1, help='measure each config this many times (interleaved), keep the best')
    ap.add_argument('--compile', choices=COMPILE_MODES, default='auto',
                    help="rtk_nb's compile mode, as TrainConfig.compile: forward = the Distiller's forward, step = the whole step (CUDA graphs on a GPU)")
    ap.add_argument('--no-eval-estimate', action='store_true', help='skip timing evaluate() for the 200-epoch estimate')
    ap.add_argument('--group', action='store_true', help='measure students trained together (rtk_nb.group): solo vs group vs fused')
    ap.add_argument('--grids', nargs='+', choices=('methods', 'ablation'), default=['methods', 'ablation'],
                    help="with --group: the study's methods, and/or the ablation's keep x tau grid as rtk runs")
    ap.add_argument('--group-modes', nargs='+', choices=GROUP_MODES, default=list(GROUP_MODES), help='with --group: what to measure')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', type=Path, help='also write the Markdown report to this file')
    a = ap.parse_args(argv)
    a.pairs, a.methods = list(dict.fromkeys(a.pairs)), list(dict.fromkeys(a.methods))     # each once, in the order given
    cuda = a.device == 'cuda'
    a.steps = a.steps if a.steps is not None else (100 if cuda else 5)
    a.warmup = a.warmup if a.warmup is not None else (20 if cuda else 2)
    a.batch_size = a.batch_size if a.batch_size is not None else (128 if cuda else 64)
    a.workers = a.workers if a.workers is not None else (min(8, os.cpu_count() or 1) if cuda else 2)
    if a.steps < 1 or a.warmup < 1 or a.batch_size < 1 or a.workers < 0 or a.repeats < 1:
        ap.error('--steps, --warmup, --batch-size and --repeats must be >= 1, --workers >= 0')
    if cuda and not torch.cuda.is_available(): ap.error('--device cuda but CUDA is not available')
    return a

def main(argv=None):
    args = parse_args(argv)
    est_study = load_study(args.study) if args.study else None      # checked before the measurements, not after them
    cmd = 'python ' + shlex.join(sys.argv if argv is None else [sys.argv[0], *argv])
    dev = torch.device(args.device)
    info = rdata.get_info(DATASET)
    if args.group: return main_group(args, dev, info, cmd)
    x, y, load_start = start_measuring(args, dev, info)
    results = {}
    for pair in args.pairs:
        for method in args.methods:
            r = results.setdefault((pair, method), {})
            for rep in range(args.repeats):
                for pl in args.pipelines:      # the two pipelines back to back, so drifting load hits both alike
                    if pl == 'conventional' and method == TEACHER: continue
                    t = time.perf_counter()
                    if pl == 'conventional': m = run_conventional(args, dev, pair, method, x, y, info)
                    else: m = run_rtk_nb(args, dev, pair, method, x, y, info,
                                         estimate_eval=not args.no_eval_estimate and rep == 0 and method == 'rtk')
                    reset_between_configs(dev)
                    if pl not in r or m['img_s'] > r[pl]['img_s']:
                        m.setdefault('eval_img_s', r.get(pl, {}).get('eval_img_s')); r[pl] = m
                    print(f"  {pair:<18} {method:<8} {pl:<12} {m['img_s']:8.1f} img/s (median step {fmt(m['median_img_s'], '.1f')})  "
                          f"peak {fmt(m['peak_mib'])} MiB  "
                          f"({time.perf_counter() - t:.1f} s)", flush=True)
    md = report(args, dev, results, cmd, load_start)
    if est_study: md += '\n' + study_estimate(est_study, results, dev)
    print('\n' + md)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_text(args.out, md)
        print(f"written to {args.out}")
    return results

if __name__ == '__main__':
    main()
