"""The benchmark script runs (tiny CPU configuration): its code path stays working. Figures come from real runs
(benchmarks/results/), never from tests."""
import re, subprocess, sys
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]

def test_bench_step_runs_and_estimates_the_study(tmp_path):
    study = tmp_path / 'study.yaml'      # one pair: every run of it is measured below
    # a complete study (load_study validates it as a whole); its one ablation point is the main RTK run (same keep and tau):
    # trained once, so counted once
    study.write_text(yaml.safe_dump({'datasets': ['cifar10', 'svhn'], 'recipes': {'cifar10': 'at', 'svhn': 'at'},
                                     'teachers': ['resnet56'], 'methods': ['at', 'rtk'], 'seeds': [0, 1], 'teacher_seed': 0,
                                     'train': {}, 'loss': {'at': {}, 'rtk': {'keep': 0.5, 'tau': 0.1}}, 'report': {},
                                     'ablation': {'dataset': 'cifar10', 'teacher': 'resnet56', 'student': 'resnet20',
                                                  'keep': [0.5], 'tau': [0.1]},
                                     'pairs': [{'name': 'resnet56-resnet20', 'teacher': 'resnet56', 'student': 'resnet20'}]}))
    out = tmp_path / 'b.md'
    r = subprocess.run([sys.executable, str(ROOT / 'benchmarks/bench_step.py'), '--device', 'cpu', '--steps', '1', '--warmup', '1',
                        '--batch-size', '8', '--pairs', 'resnet56-resnet20', '--methods', 'at', 'rtk', 'teacher',
                        '--study', str(study), '--out', str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    md = out.read_text()
    for s in ('conventional', 'rtk_nb', '| resnet56-resnet20 | rtk', '| resnet56-resnet20 | teacher | rtk_nb', 'img/s'):
        assert s in md, s
    rows = {l.split('|')[1].strip(): [c.strip() for c in l.strip('|').split('|')] for l in md.splitlines()
            if re.match(r'\| (cifar10|svhn)', l)}
    assert set(rows) == {'cifar10', 'svhn'}, rows                      # all measured: no * or ? flags
    assert [rows[d][3] for d in ('cifar10', 'svhn')] == ['5', '5']      # 1 teacher + 2 methods x 2 seeds (+ 0 ablation)
    assert [rows[d][2] for d in ('cifar10', 'svhn')] == ['200', '200']  # the `at` recipe's epochs
    assert float(rows['svhn'][4]) > float(rows['cifar10'][4]) > 0     # SVHN has more training images per epoch
    total = float(re.search(r'study estimate: ([\d.]+) CPU-hours', md).group(1))
    assert abs(total - sum(float(v[6]) for v in rows.values())) < 0.1, (total, rows)

def test_bench_step_group_runs(tmp_path):
    "--group: the study's methods solo, as a group and fused, side by side in student-images/s (tiny CPU configuration)."
    out = tmp_path / 'g.md'
    r = subprocess.run([sys.executable, str(ROOT / 'benchmarks/bench_step.py'), '--device', 'cpu', '--group', '--grids', 'methods',
                        '--steps', '1', '--warmup', '1', '--batch-size', '8', '--pairs', 'resnet56-resnet20', '--out', str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    md = out.read_text()
    row = next(l for l in md.splitlines() if l.startswith('| resnet56-resnet20 | methods |'))
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[2] == '4' and all(float(cells[i]) > 0 for i in (3, 4, 6)), row          # K = the study's 4 methods
    solo, group, ratio = float(cells[3]), float(cells[4]), float(cells[5])                # group / solo is the ratio shown,
    assert abs(ratio - group / solo) <= 0.005 + group / solo * (0.05 / solo + 0.05 / group), row   # up to the table's rounding
    assert "auto / solo" in md and 'student-images/s' in md
