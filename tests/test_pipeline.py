"""The pipeline itself, end to end: the quick profile (a plugin dataset, tiny budgets, one seed) runs the real DAG with
`dvc repro` in a fresh copy of the working tree; a second repro does nothing; changing one param reruns
only its dependents; the report is filled; MLflow holds every run."""
import csv, json, re
from pathlib import Path
import pytest, yaml
import smoke          # scripts/ is put on sys.path by conftest.py

@pytest.fixture(scope='module')
def repo(quick_profile):
    "The session's one quick-profile run (conftest.py), shared with tests/test_browser.py."
    return quick_profile

def ran(log: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", log)

def test_report_and_runs(repo):
    p = yaml.safe_load((repo / 'params.yaml').read_text())
    md = (repo / 'results/report/results.md').read_text()
    print('\n' + md)
    ds = p['datasets'][0]
    assert 'last-epoch test accuracy' in md
    table = [l for l in md.splitlines() if l.startswith(f'| {ds} ')]
    assert len(table) == len(p['pairs'])
    for row in table:
        cells = [c.strip() for c in row.strip('|').split('|')]
        seeds = ' '.join(f's{x}' for x in p['seeds'])
        assert re.fullmatch(rf"\d+\.\d\d \(n=1: s{p['teacher_seed']}\)", cells[2]), row      # the teacher_seed run only
        for c in cells[3:7]:                                                               # 4 methods, each over the seeds
            assert re.fullmatch(rf"\d+\.\d\d( ± \d+\.\d\d)? \(n={len(p['seeds'])}: {seeds}\)", c), row
        assert re.fullmatch(rf"[+-]\d+\.\d\d( ± \d+\.\d\d)? \(n={len(p['seeds'])} paired: {seeds}\)", cells[7]), row
    csv = (repo / 'results/report/results.csv').read_text().splitlines()
    assert csv[0].endswith(',selection_rule') and all(l.endswith(',last-epoch test accuracy') for l in csv[1:]), csv
    figs = sorted(f.name for f in (repo / 'results/report').glob('*.png'))
    ab = p['ablation']            # ds has no published figures: its published plot shows ours alone, for every pair
    assert figs == sorted([f"{k}_{ds}_{pr['name']}.png" for pr in p['pairs'] for k in ('curves', 'attention', 'published')]
                          + [f"ablation_{ab['dataset']}_{ab['teacher']}-{ab['student']}.png"]), figs
    for s in ('## Against the published numbers', 'best-epoch test accuracy (the published papers\' rule)',
              f"## Ablation over keep × τ: {ab['dataset']}", "The rule for RTK's defaults (`choose_keep_tau`) picks"):
        assert s in md, s
    assert (repo / 'results/report/report.ipynb').exists()
    import mlflow
    client = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name(ds).experiment_id])
    n = len(p['teachers']) + len(p['pairs']) * len(p['methods']) * len(p['seeds'])
    assert len(runs) == n and all(r.info.status == 'FINISHED' and 'test_acc' in r.data.metrics for r in runs)
    for pr in p['pairs']:
        m = json.loads((repo / f"results/runs/{ds}/{pr['name']}/rtk-s0/metrics.json").read_text())
        assert 0 <= m['test_acc'] <= 100 and m['epochs'] == p['train']['epochs']
    ab = p['ablation']                     # the keep x tau grid: its own experiment, one run per grid point and seed
    runs = client.search_runs([client.get_experiment_by_name(f"{ab['dataset']}-ablation").experiment_id])
    got = sorted((float(r.data.params['loss.keep']), float(r.data.params['loss.tau']), int(r.data.tags['seed'])) for r in runs)
    assert got == sorted((float(k), float(t), s) for k in ab['keep'] for t in ab['tau'] for s in p['seeds']), got
    assert all(r.info.status == 'FINISHED' and r.data.params['recipe'] == p['recipes'][ab['dataset']] for r in runs)

def test_curves_plot_data(repo):
    "results/curves: one CSV per (dataset, pair) holding every run of the pair (teacher, each method and seed) per epoch."
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds = p['datasets'][0]
    files = sorted(f.name for f in (repo / 'results/curves').glob('*.csv'))
    assert files == sorted(f"{ds}_{pr['name']}.csv" for pr in p['pairs']), files
    for pr in p['pairs']:
        rows = list(csv.DictReader(open(repo / f"results/curves/{ds}_{pr['name']}.csv")))
        runs = {r['run'] for r in rows}
        assert runs == {f"teacher {pr['teacher']}"} | {f"{m} s{s}" for m in p['methods'] for s in p['seeds']}, runs
        for run in runs:
            assert [int(r['epoch']) for r in rows if r['run'] == run] == list(range(1, p['train']['epochs'] + 1)), run

def test_second_repro_does_nothing(repo):
    r = smoke.repro(repo)
    assert ran(r.stdout) == [], r.stdout

def test_one_param_reruns_only_its_dependents(repo):
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds = p['datasets'][0]
    p['loss']['rtk']['keep'] = 0.25
    (repo / 'params.yaml').write_text(yaml.safe_dump(p, sort_keys=False))
    r = smoke.repro(repo)
    expected = {f"student@{ds}-pair{i}-rtk-{s}" for i in range(len(p['pairs'])) for s in p['seeds']} | {'curves', 'report'}
    assert set(ran(r.stdout)) == expected, r.stdout
    cfg = yaml.safe_load((repo / f"results/runs/{ds}/{p['pairs'][0]['name']}/rtk-s0/config.yaml").read_text())
    assert cfg['loss']['keep'] == 0.25

def test_ablation_grid_change_reruns_only_the_ablation_and_report(repo):
    "A new keep value adds its grid points' stages; the other grid points, the main study and the curves are not rerun."
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ab = p['ablation']
    dropped = min(ab['keep']); ab['keep'] = [0.25] + [k for k in ab['keep'] if k != dropped]
    (repo / 'params.yaml').write_text(yaml.safe_dump(p, sort_keys=False))
    r = smoke.repro(repo)
    assert set(ran(r.stdout)) == {f"ablation@0.25-{t}-{s}" for t in ab['tau'] for s in p['seeds']} | {'report'}, r.stdout
    kept = sorted(d.name for d in (repo / f"results/ablation/{ab['dataset']}/{ab['teacher']}-{ab['student']}").iterdir())
    assert all(f"keep{k}-tau{t}-s{s}" in kept for k in (0.25, dropped) for t in ab['tau'] for s in p['seeds']), kept  # nothing lost

def test_mlflow_as_users_meet_it(repo):
    "Experiments open on training runs; each run carries its data as dataset inputs and can be filtered by method."
    import mlflow
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds = p['datasets'][0]
    client = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    exp = client.get_experiment_by_name(ds)
    assert exp.tags.get('mlflow.experimentKind') == 'custom_model_development', exp.tags
    sha = {s: json.loads((repo / f'data/{ds}/{s}.json').read_text())['sha256'] for s in ('train', 'test')}
    runs = client.search_runs([exp.experiment_id])
    for r in runs:
        ins = {next(t.value for t in i.tags if t.key == 'mlflow.data.context'): i.dataset for i in r.inputs.dataset_inputs}
        assert set(ins) == {'train', 'test'}, (r.info.run_name, ins)
        for split, d in ins.items():
            assert d.name == ds and sha[split].startswith(d.digest) and len(d.digest) >= 12, d
            assert json.loads(d.source)['uri'].endswith(f'data/{ds}/{split}.npz') and json.loads(d.profile)['sha256'] == sha[split]
    rtk = client.search_runs([exp.experiment_id], "tags.method = 'rtk'")
    assert {r.info.run_name for r in rtk} == {f"rtk-{pr['teacher']}-{pr['student']}-s{s}" for pr in p['pairs'] for s in p['seeds']}
