#!/usr/bin/env python
"""The notebooks that are stored with their outputs, so that the documentation site shows what they print and draw.

    python scripts/nb_outputs.py           # execute them and store their outputs (then nbdev-clean), as `make outputs` does
    python scripts/nb_outputs.py --check   # execute them and fail if a stored output differs (`make test` runs this)

Only notebooks whose cells are cheap and deterministic are listed (seeded tensors, no timings, no temporary paths):
running them again must change nothing. Text outputs (printed lines, values, tables) must match exactly; a figure is
compared by its presence (its PNG bytes depend on the platform's fonts and libraries).
"""
import argparse, os, subprocess, sys
from pathlib import Path
from fastcore.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

ROOT = Path(__file__).resolve().parents[1]
WITH_OUTPUTS = ['00_models.ipynb', '01_losses.ipynb', '03a_config.ipynb', '04a_study.ipynb']

def execute(name: str):
    "The notebook `nbs/<name>` executed in nbs/ (where its relative paths point), as nbdev-test runs it."
    nb, cwd = read_nb(ROOT / 'nbs' / name), os.getcwd()
    os.chdir(ROOT / 'nbs')
    try: CaptureShell(mpl_format='png').run_all(nb, exc_stop=True)
    finally: os.chdir(cwd)
    return nb

def comparable(outputs) -> list:
    "What must not change between two executions: text exactly, a figure by its presence."
    out = []
    for o in outputs:
        if o.get('output_type') == 'stream': out.append(('stream', o['name'], ''.join(o['text'])))
        elif o.get('output_type') in ('execute_result', 'display_data'):
            data = o.get('data', {})
            out.append(('image',) if 'image/png' in data else ('text', ''.join(data.get('text/markdown') or data.get('text/plain') or '')))
        elif o.get('output_type') == 'error': out.append(('error', o.get('ename')))
    return out

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true', help='fail if a stored output differs from a fresh execution')
    args = ap.parse_args(argv)
    stale = []
    for name in WITH_OUTPUTS:
        stored, fresh = read_nb(ROOT / 'nbs' / name), execute(name)
        if args.check:
            stale += [f"{name} cell {i}: stored {comparable(a.get('outputs', []))!r:.200}\n    fresh {comparable(b.get('outputs', []))!r:.200}"
                      for i, (a, b) in enumerate(zip(stored.cells, fresh.cells))
                      if a.cell_type == 'code' and comparable(a.get('outputs', [])) != comparable(b.get('outputs', []))]
        else:
            write_nb(fresh, ROOT / 'nbs' / name); print(f"stored the outputs of nbs/{name}")
    if not args.check:
        subprocess.run([str(Path(sys.executable).parent / 'nbdev-clean')], cwd=ROOT, check=True)
        return 0
    if stale:
        print("FAIL: stored notebook outputs differ from a fresh execution (run `make outputs` and commit):\n" + '\n'.join(stale))
        return 1
    print(f"ok: the stored outputs of {len(WITH_OUTPUTS)} notebooks are current")
    return 0

if __name__ == '__main__':
    sys.exit(main())
