#!/usr/bin/env python
"""The notebooks that are stored with their outputs, so that the documentation site shows what they print and draw.

    python scripts/nb_outputs.py           # execute them and store their outputs (then nbdev-clean), as `make outputs` does
    python scripts/nb_outputs.py --check   # execute them and fail if a stored output differs (`make test` runs this)
    python scripts/nb_outputs.py --check 02_data.ipynb   # only the notebooks named

Every numbered notebook is listed: its demonstration cells run on seeded, tiny data (the digits demo set, a few
epochs, temporary folders), so running them again must print the same. What is compared:

- text outputs (printed lines, values, tables) exactly, except for two things that cannot repeat and that no reader
  learns from: **timings** — a number followed by a unit of time or of throughput (`12.3s`, `4 ms`, `1,234 img/s`,
  `0.5 min`, `it/s`, `student-img/s`), and the date and time of a log line (`2026/12/02 13:57:54`) — are compared as `<t>`, and **temporary paths** (what
  `tempfile` made: `/tmp/tmpab12cd/...`) as `<tmp>`, with the other names a run draws at random or from the clock:
  MLflow's run ids (32 hex digits) as `<id>`, a time-stamped name (`previous-20261202-140645-10708`) as `<t>`, and a
  run's identity key or code digest (16 hex digits, which any change to the training code changes) as `<key>`;
- a figure by its presence (its PNG bytes depend on the platform's fonts and libraries);
- an error by its exception's name;
- the numbers of a cell marked `# numbers vary by CPU` (`NUMBERS_VARY`) as `<n>`.

Numbers are compared digit for digit, so each notebook computes on one thread with its CPU kernels pinned to AVX2
(`PORTABLE_CPU`): pinned, an AVX-512 machine printed what the machine that stored the outputs had printed.

The notebooks run in parallel (a fresh process each, two at a time: `--jobs`, one thread each), in nbs/ as nbdev-test runs them.
"""
import argparse, os, re, subprocess, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from fastcore.nbio import read_nb, write_nb

ROOT = Path(__file__).resolve().parents[1]
WITH_OUTPUTS = ['00_models.ipynb', '00a_checks.ipynb', '00b_files.ipynb', '01_losses.ipynb', '02_data.ipynb', '03a_config.ipynb',
                '03b_checkpoint.ipynb', '03bb_runstore.ipynb', '03c_tracking.ipynb', '03d_train.ipynb', '03e_group.ipynb', '04_pipeline.ipynb', '04a_study.ipynb', '04b_schedule.ipynb', '04c_notebook.ipynb',
                '05_report.ipynb', '06_cli.ipynb']

def execute(name: str):
    "The notebook `nbs/<name>` executed in nbs/ (where its relative paths point), as nbdev-test runs it."
    from execnb.shell import CaptureShell
    os.environ.setdefault('MPLBACKEND', 'agg')
    nb, cwd = read_nb(ROOT / 'nbs' / name), os.getcwd()
    os.chdir(ROOT / 'nbs')
    try: CaptureShell(mpl_format='png').run_all(nb, exc_stop=True)
    finally: os.chdir(cwd)
    return nb

_TMP = re.compile(re.escape(tempfile.gettempdir().rstrip('/')) + r"/[^\s'\",)\]}]+")
_TIMING = re.compile(r"\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ms|s|sec|min|h|student-img/s|img/s|it/s|s/it)\b(?!\w)")
_STAMP = re.compile(r"\b\d{8}-\d{6}(?:-\d+)?\b")     # a name stamped with the time (and process) it was made, e.g. previous-20261202-140645-10708
_RUN_ID = re.compile(r"\b[0-9a-f]{32}\b")             # MLflow's random run ids
_KEY = re.compile(r"\b[0-9a-f]{16}\b")                # a run's identity key or code digest: changes with any change to the engine
_CLOCK = re.compile(r"\b(?:\d{4}[-/]\d{2}[-/]\d{2}[ T])?\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b")

def masked(text: str) -> str:
    "`text` with its timings and time stamps as `<t>`, temporary paths as `<tmp>`, run ids as `<id>`, identity keys as `<key>` (the module's docstring)."
    text = _KEY.sub('<key>', _RUN_ID.sub('<id>', _STAMP.sub('<t>', _TMP.sub('<tmp>', text))))
    return _CLOCK.sub('<t>', _TIMING.sub('<t>', text))

# A cell whose source holds this comment prints numbers that depend on more than the instruction set (measured: the fused
# group's accuracies in 03e_group differed between two machines, both with AVX2 kernels): its text is compared with every
# number as `<n>`.
NUMBERS_VARY = '# numbers vary by CPU'
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

def comparable(outputs, numbers: bool = True) -> list:
    """What must not change between two executions: text (timings and temporary paths masked; every number too where
    `numbers` is False), a figure by its presence."""
    mask = masked if numbers else (lambda t: _NUMBER.sub('<n>', masked(t)))
    out = []
    for o in outputs:
        if o.get('output_type') == 'stream': out.append(('stream', o['name'], mask(''.join(o['text']))))
        elif o.get('output_type') in ('execute_result', 'display_data'):
            data = o.get('data', {})
            out.append(('image',) if 'image/png' in data else
                       ('text', mask(''.join(data.get('text/markdown') or data.get('text/plain') or ''))))
        elif o.get('output_type') == 'error': out.append(('error', o.get('ename')))
    return out

# The kernels the CPU runs, pinned to AVX2 in torch's own code (ATen), oneDNN (convolutions) and MKL (matrix products).
# Each picks the widest instructions the CPU has, and another instruction set sums floats in another order: a few
# epochs of training on tiny data then end far apart (a teacher's 1-epoch test_acc measured 43.25% with AVX2 and 17.50%
# with AVX-512 on one machine). Pinned, that AVX-512 machine printed the stored outputs digit for digit.
PORTABLE_CPU = {'ATEN_CPU_CAPABILITY': 'avx2', 'DNNL_MAX_CPU_ISA': 'AVX2', 'MKL_CBWR': 'AVX2'}

def _one_thread():
    """Each notebook's process computes on one thread (no oversubscription of the cores, and one order of float sums)
    with the kernels of `PORTABLE_CPU`; what its notebooks start (`rtk-nb` commands) inherits both."""
    for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'): os.environ[v] = '1'
    os.environ.update(PORTABLE_CPU)

def _run(name: str):
    t0 = time.time()
    return name, execute(name), time.time() - t0

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true', help='fail if a stored output differs from a fresh execution')
    ap.add_argument('--jobs', type=int, default=2, help='notebooks executed at once (default 2)')
    ap.add_argument('--names-re', action='store_true',
                    help="print a regular expression of the notebooks stored with outputs (make test's nbdev-test skips them: "
                         "--check executes each with its tests) and exit")
    ap.add_argument('names', nargs='*', help='only these notebooks of the list (default: all)')
    args = ap.parse_args(argv)
    if args.names_re: print('^(' + '|'.join(re.escape(n) for n in WITH_OUTPUTS) + ')$'); return 0
    names = [n if n.endswith('.ipynb') else f"{n}.ipynb" for n in args.names] or WITH_OUTPUTS
    unknown = [n for n in names if n not in WITH_OUTPUTS]
    if unknown: ap.error(f"not stored with outputs: {unknown} (the list: {WITH_OUTPUTS})")
    stale, t0 = [], time.time()
    # the slowest first, so that two at a time finish together
    order = sorted(names, key=lambda n: n not in ('03d_train.ipynb', '03e_group.ipynb', '05_report.ipynb', '02_data.ipynb'))
    with ProcessPoolExecutor(max_workers=args.jobs, max_tasks_per_child=1, initializer=_one_thread) as pool:   # a fresh process per notebook
        for name, fresh, secs in pool.map(_run, order):
            stored = read_nb(ROOT / 'nbs' / name)
            n_out = sum(1 for c in fresh.cells if c.cell_type == 'code' and c.get('outputs'))
            print(f"  {name}: {n_out} cells with outputs, executed in {secs:.0f} s", flush=True)
            if args.check:
                for i, (a, b) in enumerate(zip(stored.cells, fresh.cells)):
                    if a.cell_type != 'code': continue
                    num = NUMBERS_VARY not in a.source
                    s, f = comparable(a.get('outputs', []), num), comparable(b.get('outputs', []), num)
                    if s != f: stale.append(f"{name} cell {i}: stored {s!r:.300}\n    fresh {f!r:.300}")
            else:
                write_nb(fresh, ROOT / 'nbs' / name); print(f"stored the outputs of nbs/{name}")
    if not args.check:
        subprocess.run([str(Path(sys.executable).parent / 'nbdev-clean')], cwd=ROOT, check=True)
        return 0
    if stale:
        print("FAIL: stored notebook outputs differ from a fresh execution (run `make outputs` and commit):\n" + '\n'.join(stale))
        return 1
    print(f"ok: the stored outputs of {len(names)} notebooks are current ({time.time() - t0:.0f} s)")
    return 0

if __name__ == '__main__':
    sys.exit(main())
