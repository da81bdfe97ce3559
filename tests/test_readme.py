"""Every Python block of the README runs on its own, as a newcomer copies it into a fresh folder: each block must
define every name it uses (pyflakes, no undefined names), and every block that needs no download (this machine is
offline) is run in a new process, in an empty folder."""
import os, re, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def python_blocks(md: str) -> list[str]:
    "The fenced code blocks of `md` marked `python` or unmarked (nbconvert writes a notebook's code cells unmarked)."
    blocks, lang, buf = [], None, None
    for line in md.splitlines():
        if buf is None:
            if m := re.match(r'^```(\w*)\s*$', line): lang, buf = m.group(1), []
        elif line.startswith('```'):
            if lang in ('', 'python'): blocks.append('\n'.join(buf))
            buf = None
        else: buf.append(line)
    return blocks

BLOCKS = python_blocks((ROOT / 'README.md').read_text())

def test_blocks_found():
    assert len(BLOCKS) >= 3, BLOCKS                       # the library example, the CIFAR-100 recipe, the digits quick start

def test_python_blocks_parse():
    assert python_blocks("text\n```python\na = 1\n```\n```bash\nls\n```\n```\nb = 2\n```") == ['a = 1', 'b = 2']

@pytest.mark.parametrize('i', range(len(BLOCKS)))
def test_block_defines_what_it_uses(i):
    "Copied alone, a block raises no NameError: pyflakes finds no undefined name."
    from pyflakes.api import check
    from pyflakes.reporter import Reporter
    from pyflakes import messages
    import io
    out = io.StringIO()
    class Undefined(Reporter):
        def flake(self, m):
            if isinstance(m, (messages.UndefinedName, messages.UndefinedExport, messages.UndefinedLocal)): out.write(f"{m}\n")
    check(BLOCKS[i], f'README block {i}', Undefined(io.StringIO(), io.StringIO()))
    assert not out.getvalue(), f"README block {i} uses names it does not define:\n{out.getvalue()}\n{BLOCKS[i]}"

@pytest.mark.parametrize('i', [i for i, b in enumerate(BLOCKS) if 'download=True' not in b])
def test_block_runs_in_a_fresh_folder(i, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != 'MLFLOW_TRACKING_URI'}     # MLflow's default store, in that folder
    t0 = time.time()
    r = subprocess.run([sys.executable, '-c', BLOCKS[i]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"README block {i} failed in a fresh folder:\n{BLOCKS[i]}\n{r.stderr[-3000:]}"
    print(f"\nREADME block {i}: ran in {time.time() - t0:.0f}s in an empty folder; wrote {sorted(p.name for p in tmp_path.iterdir())}")
