"""The pipeline itself, end to end, driven with DVC's and MLflow's own commands: the quick profile (a plugin dataset,
tiny budgets, one seed) runs the real DAG with `dvc repro` in a fresh copy of the working tree; a second repro does
nothing; forced reruns and deleted outputs restore a finished run without training and without touching its MLflow
record; `dvc exp run -S` reruns only its dependents and `dvc exp show` / `dvc metrics diff` show the accuracies;
the report is filled; MLflow holds every run, each trained once."""
import collections, csv, json, re, shlex, shutil, subprocess, time
from pathlib import Path
import yaml
import smoke          # scripts/ is put on sys.path by conftest.py
from conftest import outcomes   # the `repo` fixture: conftest.py too

ROOT = Path(__file__).resolve().parents[1]

def ran(log: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", log)

def dvc(repo, *args, check=True) -> subprocess.CompletedProcess:
    return smoke.sh('dvc', *args, cwd=repo, env=smoke.smoke_env(), check=check)

def mlflow_runs(repo, experiment: str):
    import mlflow
    client = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    return client, client.search_runs([client.get_experiment_by_name(experiment).experiment_id])

def snapshot(folder: Path) -> dict:
    return {f.name: f.read_bytes() for f in folder.iterdir() if f.is_file()}

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
    lines = (repo / 'results/report/results.csv').read_text().splitlines()
    assert lines[0].endswith(',selection_rule') and all(l.endswith(',last-epoch test accuracy') for l in lines[1:]), lines
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
    logged = {r.info.run_name: r.data.metrics['test_acc'] for r in runs}
    for pr in p['pairs']:                  # the run folder's files and MLflow's record tell one result
        folder = repo / f"results/runs/{ds}/{pr['name']}/rtk-s0"
        m = json.loads((folder / 'metrics.json').read_text())
        last = list(csv.DictReader(open(folder / 'history.csv')))[-1]
        assert m['epochs'] == p['train']['epochs'] == int(last['epoch']), (m, last)
        assert m['test_acc'] == logged[f"rtk-{pr['teacher']}-{pr['student']}-s0"] == float(last['test_acc']), (m, last)
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

def test_one_training_per_identity(repo):
    "The ablation point equal to the main RTK run is trained once: the second stage takes the first one's result."
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ab = p['ablation']; ds = ab['dataset']
    rtk = p['loss']['rtk']
    _, main = mlflow_runs(repo, ds); _, abl = mlflow_runs(repo, f"{ds}-ablation")
    m = next(r for r in main if r.data.tags['method'] == 'rtk' and r.data.tags['student'] == ab['student'])
    a = next(r for r in abl if float(r.data.params['loss.keep']) == rtk['keep'] and float(r.data.params['loss.tau']) == rtk['tau'])
    assert a.data.tags.get('rtk_nb.same_as') == m.info.run_id, a.data.tags             # one trained, the other reused it
    assert a.data.metrics['test_acc'] == m.data.metrics['test_acc'] and a.info.status == 'FINISHED'
    others = [r for r in abl if r.info.run_id != a.info.run_id]
    assert others and not any('rtk_nb.same_as' in r.data.tags for r in others)         # every other grid point trained

def test_forced_rerun_restores_without_training(repo):
    "`dvc repro -f -s train` twice: every finished run's outputs come back byte for byte; MLflow is untouched."
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds = p['datasets'][0]
    folder = repo / f"results/runs/{ds}/{p['pairs'][0]['name']}/vanilla-s0"
    before, (_, runs) = snapshot(folder), mlflow_runs(repo, ds)
    for _ in range(2):
        r = dvc(repo, 'repro', '-f', '-s', 'train')
        done = outcomes(r.stdout + r.stderr)
        assert ran(r.stdout) == ['train'] and done and set(done.values()) == {'restored'}, (r.stdout + r.stderr)[-3000:]
        assert snapshot(folder) == before
    _, after = mlflow_runs(repo, ds)
    assert {r.info.run_id: r.info.status for r in after} == {r.info.run_id: r.info.status for r in runs}   # no run added or changed
    assert all(r.info.status == 'FINISHED' for r in after)
    r = dvc(repo, 'repro')                                              # and nothing downstream is stale
    assert ran(r.stdout) == [], r.stdout
    notebooks = sorted(f.name for f in (repo / 'results/notebooks').glob('train*.ipynb'))
    assert len(notebooks) == 3 and 'train.ipynb' in notebooks, notebooks   # every executed notebook is kept

def test_deleted_output_is_restored(repo):
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds = p['datasets'][0]
    folder = repo / f"results/runs/{ds}/{p['pairs'][0]['name']}/kd-s0"
    before = snapshot(folder)
    (folder / 'history.csv').unlink()
    r = dvc(repo, 'repro')
    # the train stage only, which restores the file (nothing trains); the curves see no change
    assert ran(r.stdout) == ['train'] and set(outcomes(r.stdout + r.stderr).values()) == {'restored'}, r.stdout
    assert snapshot(folder) == before

def test_train_group_keeps_a_finished_group(repo):
    """`rtk-nb train-group` over a group the pipeline has trained: every run is kept (restored byte for byte from its
    last.ckpt), nothing trains, MLflow is left as it is and DVC sees no change."""
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds, pair = p['datasets'][0], p['pairs'][0]['name']
    folders = sorted((repo / f"results/runs/{ds}/{pair}").iterdir())
    before, (_, runs) = {f: snapshot(f) for f in folders}, mlflow_runs(repo, ds)
    r = smoke.sh('rtk-nb', 'train-group', '--dataset', ds, '--pair', pair, '--seed', str(p['seeds'][0]), cwd=repo, env=smoke.smoke_env())
    outcomes = [l.split()[0] for l in r.stdout.splitlines() if l.split() and l.split()[0] in ('restored', 'trained', 'reused', 'closed', 'failed')]
    assert outcomes and set(outcomes) == {'restored'}, r.stdout[-3000:]
    assert len(outcomes) == len(p['methods']) + (len(p['ablation']['keep']) * len(p['ablation']['tau'])
                                                 if p['ablation']['dataset'] == ds and pair == f"{p['ablation']['teacher']}-{p['ablation']['student']}" else 0)
    assert {f: snapshot(f) for f in folders} == before
    _, after = mlflow_runs(repo, ds)
    assert {x.info.run_id: x.info.status for x in after} == {x.info.run_id: x.info.status for x in runs}
    assert ran(dvc(repo, 'repro').stdout) == []

def test_a_collaborator_pulls_the_study(repo, tmp_path):
    """Sharing the study as the README shows it: commit, `dvc push` to a local-folder remote; a `git clone` and `dvc pull`
    (no run store, no MLflow store there): `dvc repro` trains nothing and `dvc status` is clean; the report rebuilt there
    equals the origin's; `dvc exp run -S loss.rtk.keep=0.25` trains the RTK students only, every pulled run restored
    from its folder and logged to the clone's MLflow store."""
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds = p['datasets'][0]
    dvc(repo, 'remote', 'add', '-d', '-f', 'shared', tmp_path / 'remote')
    smoke.sh('git', 'add', '-A', cwd=repo)
    smoke.sh('git', '-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-qm', 'the study, shared', cwd=repo)
    dvc(repo, 'push')
    clone = tmp_path / 'clone'
    smoke.sh('git', 'clone', '-q', repo, clone, cwd=tmp_path)
    t0 = time.time(); dvc(clone, 'pull'); took = {'dvc pull': time.time() - t0}
    assert not (clone / 'mlflow.db').exists() and not list(clone.rglob('.store')), 'the clone holds only what git and DVC hold'
    t0 = time.time(); r = dvc(clone, 'repro'); took['dvc repro'] = time.time() - t0   # prepared.json is not cached: only data@ may run
    assert set(ran(r.stdout)) <= {f"data@{ds}"} and not outcomes(r), r.stdout + r.stderr[-3000:]
    assert 'up to date' in dvc(clone, 'status').stdout
    t0 = time.time(); r = dvc(clone, 'repro', '-f', '-s', 'report'); took['dvc repro -f -s report'] = time.time() - t0
    assert ran(r.stdout) == ['report'], r.stdout
    assert json.loads((clone / 'results/metrics.json').read_text()) == json.loads((repo / 'results/metrics.json').read_text())
    for f in ('results.csv', 'published.csv'):
        assert (clone / 'results/report' / f).read_text() == (repo / 'results/report' / f).read_text(), f
    t0 = time.time(); r = dvc(clone, 'exp', 'run', '-S', 'loss.rtk.keep=0.25'); took['dvc exp run -S loss.rtk.keep=0.25'] = time.time() - t0
    done = outcomes(r)
    print(f"\nin the clone: {', '.join(f'{k} {v:.0f} s' for k, v in took.items())}; the exp run's outcomes: "
          f"{sorted(collections.Counter(done.values()).items())}")
    assert {k for k, o in done.items() if o == 'trained'} == {f"student@{ds}-pair{i}-rtk-{s}" for i in range(len(p['pairs']))
                                                               for s in p['seeds']}, done
    assert {o for k, o in done.items() if '-rtk-' not in k} == {'restored'}, done
    assert len(done) == sum(1 for _ in (repo / 'results').rglob('model.ckpt') if '.store' not in _.parts), done
    _, runs = mlflow_runs(clone, ds)                         # MLflow, a view: each pulled run logged once, from its files
    assert all(r.info.status == 'FINISHED' for r in runs) and len(runs) == len([k for k in done if k.startswith(('teacher', 'student'))])
    logged = [r for r in runs if 'rtk_nb.logged_from' in r.data.tags]
    assert len(logged) == len(runs) - len(p['pairs']) * len(p['seeds']) and all('test_acc' in r.data.metrics for r in logged)

def test_the_report_reads_no_mlflow(repo):
    "In the original workspace with its MLflow store moved away, the forced report writes the same metrics and tables."
    before = {f: (repo / f).read_bytes() for f in ('results/metrics.json', 'results/report/results.csv', 'results/report/results.md')}
    aside = [(repo / n, repo / f"{n}.aside") for n in ('mlflow.db', 'mlruns') if (repo / n).exists()]
    for a, b in aside: a.rename(b)
    try:
        r = dvc(repo, 'repro', '-f', '-s', 'report')
        assert ran(r.stdout) == ['report'], r.stdout
        assert {f: (repo / f).read_bytes() for f in before} == before
    finally:
        for a, b in aside:
            if a.is_dir(): shutil.rmtree(a)
            elif a.exists(): a.unlink()
            b.rename(a)

def readme_command(start: str) -> list[str]:
    "The README's command line that starts with `start` (in its 'Reproduce and compare' block), as argv, comment left out."
    md = (ROOT / 'README.md').read_text()
    block = md[md.index('**Reproduce and compare.**'):]
    line = next(l for l in block.splitlines() if l.startswith(start))
    return shlex.split(line, comments=True)

def test_dvc_exp_run_and_show(repo):
    """A user's experiment: commit the study's results, `dvc exp run -S loss.rtk.keep=0.25` reruns only the RTK
    students, the curves and the report; `dvc exp show`, `dvc metrics diff` and `dvc params diff` show the change.
    The README's `dvc exp show` command shows every method's accuracy of the pair and the changed param in 200 columns."""
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds = p['datasets'][0]
    for cmd in (['git', 'add', '-A'], ['git', '-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-qm', 'results']):
        smoke.sh(*cmd, cwd=repo)
    tracked = smoke.sh('git', 'ls-files', cwd=repo).stdout.split()
    assert 'results/metrics.json' in tracked and not [f for f in tracked if f.endswith('.ckpt')], tracked
    r = dvc(repo, 'exp', 'run', '-n', 'keep25', '-S', 'loss.rtk.keep=0.25')
    assert set(ran(r.stdout)) == {'train', 'curves', 'report'}, r.stdout
    done = outcomes(r.stdout + r.stderr)                           # the train stage says, run by run: only rtk trained
    log = r.stdout + r.stderr                                      # one task to train: no Ray started
    assert 'in this process' in log and 'Ray:' not in log, log[-3000:]
    assert {k for k, o in done.items() if o == 'trained'} == {f"student@{ds}-pair{i}-rtk-{s}" for i in range(len(p['pairs']))
                                                               for s in p['seeds']}, done
    assert {o for k, o in done.items() if '-rtk-' not in k} == {'restored'}, done
    cfg = yaml.safe_load((repo / f"results/runs/{ds}/{p['pairs'][0]['name']}/rtk-s0/config.yaml").read_text())
    assert cfg['loss']['keep'] == 0.25
    rows, revs = {}, {}
    for commit in json.loads(dvc(repo, 'exp', 'show', '--json').stdout):   # the baseline and its experiments, with metrics
        for rev in [commit] + [r for e in (commit.get('experiments') or []) for r in e.get('revs', [])]:
            name = rev.get('name') or rev['rev']
            rows[name] = ((rev.get('data') or {}).get('metrics') or {}).get('results/metrics.json', {}).get('data')
            revs[name] = rev['rev']
    base = json.loads(smoke.sh('git', 'show', 'HEAD:results/metrics.json', cwd=repo).stdout)['test_acc']
    assert rows.get('keep25') and rows.get('workspace'), rows
    acc = rows['keep25']['test_acc']                              # test_acc.<dataset>.pair<i>.<method>, pair<i> as in the stages
    assert set(acc[ds]['pair0']) == {'teacher', *p['methods']}                          # every method's accuracy, no '!'
    for m in ('teacher', 'vanilla', 'kd', 'at'): assert acc[ds]['pair0'][m] == base[ds]['pair0'][m]
    ab = p['ablation']                                            # the grid's points: not under the `ablation` params' name
    assert set(acc[ab['dataset']]['ablation']) == {f"keep{k:g}-tau{t:g}" for k in ab['keep'] for t in ab['tau']}
    in_git = smoke.sh('git', 'ls-tree', '-r', '--name-only', revs['keep25'], cwd=repo).stdout.split()
    assert 'results/metrics.json' in in_git and not [f for f in in_git if f.endswith('.ckpt')], in_git   # checkpoints never in git
    cmd = readme_command('dvc exp show')                          # as the README shows it, in a 200-column terminal
    table = smoke.sh(*cmd, cwd=repo, env={**smoke.smoke_env(), 'COLUMNS': '200'}).stdout
    lines = table.rstrip().splitlines()
    head = next(l for l in lines if l.split()[:1] == ['Experiment']).split()      # the header, between the table's rules
    assert head == ['Experiment', *(f"test_acc.{ds}.pair0.{m}" for m in ('teacher', *p['methods'])), 'loss.rtk.keep'], table
    assert max(map(len, lines)) <= 200 and '…' not in table, table                   # nothing collapsed or cut
    assert any('keep25' in l and '0.25' in l for l in lines), table
    diff = dvc(repo, 'metrics', 'diff', 'HEAD').stdout
    print('\n' + ' '.join(cmd) + '\n' + table + '\n' + diff)
    assert f"test_acc.{ds}.pair0.rtk" in diff and 'failed' not in diff.lower(), diff
    assert 'loss.rtk.keep' in dvc(repo, 'params', 'diff', 'HEAD').stdout
    _, runs = mlflow_runs(repo, ds)                                    # both RTK runs, told apart by name; nothing FAILED
    names = [r.info.run_name for r in runs]
    assert len(names) == len(set(names)) and all(r.info.status == 'FINISHED' for r in runs), names
    assert {f"rtk-{pr['teacher']}-{pr['student']}-s0-keep0.25" for pr in p['pairs']} <= set(names)
    prev = [r for r in runs if r.info.run_name.endswith('-keep0.25')]
    assert all(r.data.tags.get('rtk_nb.previous_run_id') for r in prev)  # linked to the run it followed in that folder

def test_dvc_plots_diff_one_line_per_revision_and_run(repo):
    """`dvc plots diff HEAD keep25` (the experiment of test_dvc_exp_run_and_show): each pair's figure draws one line per
    revision and run, each line the run's epochs in order (before, a run's revisions joined into one zig-zag line), and
    names the revision in the legend; `dvc plots show` (one revision) keeps the run's name alone. The browser's view of
    both: tests/test_ui.py."""
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ds, epochs = p['datasets'][0], p['train']['epochs']
    for revs in (['HEAD', 'keep25'], []):
        out = json.loads(dvc(repo, 'plots', 'diff', *revs, '--json').stdout) if revs else \
            json.loads(dvc(repo, 'plots', 'show', '--json').stdout)
        assert not out.get('errors'), out['errors']
        for pr in p['pairs']:
            (fig,) = out['data'][f"results/curves/{ds}_{pr['name']}.csv"]
            spec, points = fig['content'], fig['content']['data']['values']
            runs = {f"teacher {pr['teacher']}"} | {f"{m} s{s}" for m in p['methods'] for s in p['seeds']}
            detail = spec['encoding']['detail']                        # Vega-Lite draws one line per value of these fields
            keys = [e['field'] for e in (detail if isinstance(detail, list) else [detail])]
            lines = {}
            for d in points: lines.setdefault(tuple(d[k] for k in keys), []).append(d)
            got = [{(d['rev'], d['run']) for d in ln} for ln in lines.values()]
            assert all(len(g) == 1 for g in got), got                  # no line joins two revisions or runs
            assert sorted(g.pop() for g in got) == sorted((r, run) for r in revs or ['workspace'] for run in runs)  # one per (rev, run)
            assert all([int(d['epoch']) for d in ln] == list(range(1, epochs + 1)) for ln in lines.values()), lines
            color = spec['encoding']['color']['field']                 # the legend: computed by the template's transform
            calc = next(t['calculate'] for t in spec.get('transform', []) if t.get('as') == color)
            assert 'datum.rev' in calc and 'datum.run' in calc, calc   # the revision named when there are several (drawn: test_ui.py)

def test_ablation_grid_change_reruns_only_the_ablation_and_report(repo):
    "A new keep value adds its grid points' stages; the other grid points, the main study and the curves are not rerun."
    p = yaml.safe_load((repo / 'params.yaml').read_text()); ab = p['ablation']
    dropped = min(ab['keep']); ab['keep'] = [0.25] + [k for k in ab['keep'] if k != dropped]
    (repo / 'params.yaml').write_text(yaml.safe_dump(p, sort_keys=False))
    r = smoke.repro(repo)
    assert ran(r.stdout) == ['train', 'report'], r.stdout
    done = outcomes(r.stdout + r.stderr)               # the new points (one may be the main RTK run of keep 0.25: reused)
    assert {k for k, o in done.items() if o in ('trained', 'reused')} == {f"ablation@0.25-{t}-{s}" for t in ab['tau'] for s in p['seeds']}, done
    assert {o for k, o in done.items() if not k.startswith('ablation@0.25-')} == {'restored'}, done
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
    rtk = client.search_runs([exp.experiment_id], "tags.method = 'rtk'")     # the default settings' runs and the experiment's
    names = {r.info.run_name for r in rtk}
    assert {f"rtk-{pr['teacher']}-{pr['student']}-s{s}" for pr in p['pairs'] for s in p['seeds']} <= names, names
    assert len(names) == len(rtk) and all(n.endswith(('-s0', '-s1', '-keep0.25')) for n in names), names
