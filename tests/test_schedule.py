"""The study on Ray (rtk_nb.schedule), on this CPU: a local instance with two workers trains a small study (two teachers,
two groups of students, an ablation) to the same metrics as the serial path, also when a worker is SIGKILLed mid-run
(its task is retried and its runs resume); an out-of-memory error fails its task's runs only, names them and what to
try, and a rerun trains only those; Ctrl-C on `dvc repro` cancels every task, marks the interrupted runs KILLED with a
readable last.ckpt, and leaves no process behind."""
import json, os, re, shutil, signal, subprocess, threading, time
from pathlib import Path
import pytest, torch, yaml
from rtk_nb.pipeline import deep_merge, data_stage
from rtk_nb.study import load_study
from rtk_nb.schedule import run_study, raise_failed, StudyFailed
import smoke          # scripts/ is put on sys.path by conftest.py

ROOT = Path(__file__).resolve().parents[1]
DS = 'tinyshapes'

def project(tmp: Path, **over) -> Path:
    """A project folder holding a small study on `tinyshapes` (the shapes plugin dataset with a fifth of its images: what
    is checked here is how tasks run, not what they learn; 2 epochs, seed 0), its data prepared: two
    teachers, three groups of students (vanilla, kd, rtk) of which one is killer8's and one oom8's, and two ablation points."""
    d = tmp; d.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / 'tests/plugins/faults.py', d / 'faults.py')
    shapes, sizes, name = (ROOT / 'user_plugins/shapes.py').read_text(), "N = {'train': 1500, 'test': 400}", "'shapes', len("
    assert sizes in shapes and name in shapes     # its own name: `shapes` may be registered in this process too
    (d / 'tinyshapes.py').write_text(shapes.replace(sizes, "N = {'train': 320, 'test': 100}").replace(name, f"'{DS}', len("))
    p = deep_merge(yaml.safe_load((ROOT / 'params.yaml').read_text()), yaml.safe_load((ROOT / 'profiles/smoke.yaml').read_text()))
    p = deep_merge({**p, 'recipes': {DS: 'quick'}}, {'plugins': ['tinyshapes.py', 'faults.py'], 'datasets': [DS],
                       'teachers': ['resnet8', 'wrn_16_1'], 'seeds': [0],
                       'methods': ['vanilla', 'kd', 'rtk'],
                       'pairs': [{'name': 'resnet8-killer8', 'teacher': 'resnet8', 'student': 'killer8'},
                                 {'name': 'wrn_16_1-resnet8', 'teacher': 'wrn_16_1', 'student': 'resnet8'},
                                 {'name': 'resnet8-oom8', 'teacher': 'resnet8', 'student': 'oom8'}],
                       'ablation': {'dataset': DS, 'teacher': 'wrn_16_1', 'student': 'resnet8', 'keep': [0.5, 1.0], 'tau': [0.1]},
                       'train': {'tracking_uri': f"sqlite:///{d / 'mlflow.db'}", 'epochs': 2, 'milestones': [1]}})
    (d / 'params.yaml').write_text(yaml.safe_dump(deep_merge(p, over), sort_keys=False))
    load_study(d / 'params.yaml', d)                      # registers the plugins
    cwd = os.getcwd(); os.chdir(d)
    try: data_stage(DS, root='data', download=False)
    finally: os.chdir(cwd)
    return d

def train(d: Path, executor='ray', **kw) -> dict:
    res = run_study(load_study(d / 'params.yaml', d), d / 'params.yaml', executor=executor, threads=1, **kw)
    return {r['run']: r for r in res}

def mlflow_runs(d: Path) -> list:
    import mlflow
    c = mlflow.MlflowClient(f"sqlite:///{d / 'mlflow.db'}")
    return [r for e in c.search_experiments() for r in c.search_runs([e.experiment_id])]

@pytest.fixture(scope='module')
def serial(tmp_path_factory):
    return train(project(tmp_path_factory.mktemp('serial')), 'serial')

@pytest.fixture(scope='module')
def on_ray(tmp_path_factory):
    """The same study on Ray with two workers, twice. The first time, the worker that trains the killer8 students is
    SIGKILLed once in their second epoch (each has its first in last.ckpt), and oom8 raises CUDA's out-of-memory error;
    the second time nothing is injected."""
    d = project(tmp_path_factory.mktemp('ray'))
    pid_file, killed = d / 'killer.pid', []
    os.environ.update(KILL_PID_FILE=str(pid_file), RTK_TEST_OOM='1')
    def killer():
        while not killed:
            ckpts = list((d / f'results/runs/{DS}/resnet8-killer8').glob('*/.store/*/last.ckpt'))
            if len(ckpts) == 3 and pid_file.exists():
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, signal.SIGKILL); killed.append(pid)
            time.sleep(0.05)
    threading.Thread(target=killer, daemon=True).start()
    try: first = train(d, max_retries=2)
    finally:
        for k in ('KILL_PID_FILE', 'RTK_TEST_OOM'): os.environ.pop(k)
        killed.append(None)
    return d, first, train(d), killed[0]

def test_ray_study_equals_serial(serial, on_ray):
    d, _, final, _ = on_ray
    study = load_study(d / 'params.yaml', d)
    assert len(study.runs('teacher')) == 2 and len(study.groups()) == 3 and len(study.runs()) - 2 >= 6
    assert set(final) == set(serial) == {r.stage for r in study.runs()}
    for k in serial:
        assert serial[k]['outcome'] in ('trained', 'reused') and final[k]['outcome'] != 'failed', (k, final[k])
        assert final[k]['test_acc'] == serial[k]['test_acc'], k
        assert [h['test_acc'] for h in final[k]['history']] == [h['test_acc'] for h in serial[k]['history']], k

def test_killed_worker_is_retried_and_its_runs_resume(serial, on_ray):
    d, first, _, pid = on_ray
    assert pid is not None, "no killer8 worker was killed"
    killer = [k for k in first if '-pair0-' in k]
    for k in killer:                                  # resumed from last.ckpt: the same numbers as the uninterrupted run
        assert first[k]['outcome'] == 'trained' and first[k]['test_acc'] == serial[k]['test_acc'], first[k]
    runs = [r for r in mlflow_runs(d) if 'killer8' in r.info.run_name]
    assert [r.info.status for r in runs] == ['FINISHED'] * len(killer), [(r.info.run_name, r.info.status) for r in runs]
    assert {first[k]['run_id'] for k in killer} == {r.info.run_id for r in runs}   # each resumed into its own record

def test_out_of_memory_fails_its_task_only_and_a_rerun_trains_only_those(on_ray):
    d, first, second, _ = on_ray
    failed = {k for k, r in first.items() if r['outcome'] == 'failed'}
    assert failed == {k for k in first if '-pair2-' in k}, first
    oom = {'vanilla-oom8-s0', 'kd-resnet8-oom8-s0', 'rtk-resnet8-oom8-s0'}
    for k in failed:                                   # its task's message (the group may be split in sub-groups)
        err = first[k]['error']
        assert all(s in err for s in ('CUDA out of memory', 'batch size 64', 'fewer students per GPU', 'max_group')), err
    assert all(n in ' '.join(first[k]['error'] for k in failed) for n in oom)     # every run named
    with pytest.raises(StudyFailed, match='3 run\\(s\\) failed') as e: raise_failed(list(first.values()))
    assert all(k in str(e.value) for k in failed)
    runs = mlflow_runs(d)
    assert {r.info.run_name for r in runs if r.info.status == 'FAILED'} == oom, [(r.info.run_name, r.info.status) for r in runs]
    assert {r.info.status for r in runs if r.info.run_name not in oom} == {'FINISHED'}
    assert {k for k, r in second.items() if r['outcome'] == 'trained'} == failed, second       # the rerun trains only those
    assert all(r['outcome'] in ('restored', 'reused') for k, r in second.items() if k not in failed), second

def descendants(pid: int) -> list:
    import psutil
    try: return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess: return []

def test_ctrl_c_on_dvc_repro_cancels_every_task_and_leaves_no_process(tmp_path):
    """Ctrl-C (SIGINT to dvc repro's process group, as a terminal sends it) while Ray trains: every interrupted run is
    KILLED in MLflow with a last.ckpt that loads, and no process the study started (Ray's included) is left, by PID."""
    import psutil
    from rtk_nb.checkpoint import load_checkpoint
    repo = smoke.make_copy(tmp_path / 'repo', seeds=[0], pairs=['resnet20-resnet8'])
    p = subprocess.Popen(['dvc', 'repro'], cwd=repo, env=smoke.smoke_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    log, seen = [], set()
    for line in p.stdout:                              # wait for a task's first epoch: Ray and its workers are running
        log.append(line); seen |= {c.pid for c in descendants(p.pid)}
        if re.search(r"^(\(train_task pid=\d+\) )?\[teacher shapes/resnet20\] epoch 1/", line): break
    else: pytest.fail(''.join(log[-50:]))
    procs = descendants(p.pid)
    assert any('raylet' in ' '.join(c.cmdline()) for c in procs if c.is_running()), [c.cmdline() for c in procs]
    os.killpg(p.pid, signal.SIGINT)
    rest, _ = p.communicate(timeout=300); log.append(rest)
    out = ''.join(log)
    assert p.returncode != 0 and 'cancelling' in out, out[-4000:]
    time.sleep(2)
    alive = [c for c in procs if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, [(c.pid, c.cmdline()) for c in alive]
    import mlflow
    c = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    runs = [r for e in c.search_experiments() for r in c.search_runs([e.experiment_id])]
    assert runs and {r.info.status for r in runs} == {'KILLED'}, [(r.info.run_name, r.info.status) for r in runs]
    for r in runs:
        ckpt = next(Path(r.data.tags['out_dir']).glob('.store/*/last.ckpt'))
        state = load_checkpoint(ckpt)
        assert state['epoch'] >= 1 and state.get('mlflow_run_id') == r.info.run_id, ckpt   # epoch 1 was saved before its line
