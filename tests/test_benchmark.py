"""The benchmark script runs (tiny CPU configuration): its code path stays working. Figures come from real runs
(benchmarks/results/), never from tests."""
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def test_bench_step_runs(tmp_path):
    out = tmp_path / 'b.md'
    r = subprocess.run([sys.executable, str(ROOT / 'benchmarks/bench_step.py'), '--device', 'cpu', '--steps', '1', '--warmup', '1',
                        '--batch-size', '8', '--pairs', 'resnet56-resnet20', '--methods', 'at', 'rtk', '--out', str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    md = out.read_text()
    for s in ('conventional', 'rtk_nb', '| resnet56-resnet20 | rtk', 'img/s'):
        assert s in md, s
