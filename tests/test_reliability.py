"""Reliability, with real processes: SIGKILL mid-epoch loses at most the running epoch and the rerun ends
exactly like an uninterrupted run; SIGINT and SIGTERM (what schedulers send) mark the MLflow run KILLED and the
rerun resumes it exactly, also when the run was started with SIGINT ignored; parallel runs on one SQLite store all
complete; an unreachable tracking server fails fast; a bad config creates nothing.

Every child starts with the default signal dispositions (`_default_signals`), so these tests measure the product,
not how the test suite was launched (a shell's background job starts with SIGINT ignored)."""
import json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path
import pytest

def cfg(tmp: Path, out: str, **kw) -> dict:
    return {'dataset': 'digits', 'teacher': 'resnet8', 'epochs': 3, 'batch_size': 32, 'lr': 0.05, 'milestones': [2],
            'data_root': str(tmp / 'data'), 'tracking_uri': f"sqlite:///{tmp / 'mlflow.db'}", 'progress': False,
            'device': 'cpu', 'out_dir': str(tmp / out), **kw}

def _default_signals():
    for sig in (signal.SIGINT, signal.SIGTERM): signal.signal(sig, signal.SIG_DFL)

def launch(c: dict, env=None, preexec_fn=_default_signals) -> subprocess.Popen:
    code = textwrap.dedent(f"""
        import json, torch; torch.set_num_threads(1)
        from rtk_nb.train import TrainConfig, fit
        r = fit(TrainConfig.from_dict(json.loads({json.dumps(json.dumps(c))})))
        print('TEST_ACC', r['test_acc'], r['run_id'])
    """)
    return subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, preexec_fn=preexec_fn)

def finish(p: subprocess.Popen, timeout=300) -> tuple[float, str]:
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == 0, err[-3000:]
    _, acc, run_id = next(l for l in out.splitlines() if l.startswith('TEST_ACC')).split()
    return float(acc), run_id

def last_ckpt(c: dict) -> Path:
    "Where run `c` keeps its `last.ckpt`: its identity's folder in its run folder's store (`rtk_nb.runstore.state_dir`)."
    from rtk_nb.train import TrainConfig, run_fingerprint
    from rtk_nb.runstore import state_dir
    cfg = TrainConfig.from_dict(c)
    return state_dir(cfg.output_dir, run_fingerprint(cfg)) / 'last.ckpt'

def ckpt_epoch(path: Path):
    from rtk_nb.checkpoint import load_checkpoint
    return load_checkpoint(path)['epoch'] if path.exists() else 0

@pytest.fixture(scope='module')
def tmp(tmp_path_factory):
    d = tmp_path_factory.mktemp('rel')
    from rtk_nb.data import prepare
    prepare('digits', root=d / 'data')                   # once, before the parallel runs
    return d

@pytest.fixture(scope='module')
def full_acc(tmp) -> float:
    "The test accuracy of the run trained without interruption: what every interrupted-and-resumed run must end with."
    return finish(launch(cfg(tmp, 'full')))[0]

def test_sigkill_mid_epoch_then_resume(tmp, full_acc):
    full = full_acc
    p = launch(cfg(tmp, 'killed')); last = last_ckpt(cfg(tmp, 'killed'))
    t0 = time.time()
    while ckpt_epoch(last) < 1:
        assert p.poll() is None and time.time() - t0 < 240, 'run ended or hung before its first checkpoint'
        time.sleep(0.05)
    time.sleep(0.4)                                       # well inside epoch 2 (an epoch takes seconds here)
    p.send_signal(signal.SIGKILL); p.wait()
    e = ckpt_epoch(last)                                  # the last complete checkpoint loads (verified) intact
    assert e in (1, 2), e
    print(f"\nSIGKILL during epoch {e + 1}: checkpoint of epoch {e} intact; work lost: < 1 epoch")
    assert not list((tmp / 'killed').rglob('.*.tmp'))
    resumed, run_id = finish(launch(cfg(tmp, 'killed')))
    assert resumed == full, (resumed, full)
    import mlflow
    run = mlflow.MlflowClient(f"sqlite:///{tmp / 'mlflow.db'}").get_run(run_id)
    assert run.info.status == 'FINISHED' and len(mlflow.MlflowClient(f"sqlite:///{tmp / 'mlflow.db'}").get_metric_history(run_id, 'test_acc')) == 3

def _stop_then_resume(tmp, full_acc: float, name: str, sig, preexec_fn=_default_signals):
    "Run `name`, send `sig` after its first epoch: the run ends KILLED with a readable last.ckpt; the rerun resumes it to the uninterrupted result."
    p = launch(cfg(tmp, name), preexec_fn=preexec_fn); last = last_ckpt(cfg(tmp, name))
    t0 = time.time()
    while ckpt_epoch(last) < 1:
        assert p.poll() is None and time.time() - t0 < 240; time.sleep(0.05)
    p.send_signal(sig); _, err = p.communicate(timeout=120)
    assert p.returncode != 0 and f'stopped by {signal.Signals(sig).name}' in err, err[-2000:]
    import mlflow
    client = mlflow.MlflowClient(f"sqlite:///{tmp / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name('digits').experiment_id],
                              filter_string=f"tags.out_dir = '{(tmp / name).resolve()}'")
    assert [r.info.status for r in runs] == ['KILLED']
    stopped_at = ckpt_epoch(last)                                   # verified on load: intact
    assert stopped_at >= 1
    acc, run_id = finish(launch(cfg(tmp, name)))
    assert run_id == runs[0].info.run_id and client.get_run(run_id).info.status == 'FINISHED'
    assert acc == full_acc, (acc, full_acc)
    print(f"\n{signal.Signals(sig).name} after epoch {stopped_at}: KILLED, resumed to test_acc {acc} (= uninterrupted)")

def test_sigint_marks_run_killed(tmp, full_acc):
    _stop_then_resume(tmp, full_acc, 'sigint', signal.SIGINT)

def test_sigterm_marks_run_killed_and_resumes(tmp, full_acc):
    "What SLURM, Kubernetes, Ray and `timeout` send."
    _stop_then_resume(tmp, full_acc, 'sigterm', signal.SIGTERM)

def test_sigint_stops_a_run_started_with_sigint_ignored(tmp, full_acc):
    "A shell's background job (and nohup, some CI runners) starts its children with SIGINT ignored: Ctrl-C still stops training."
    def ignore_sigint():
        _default_signals(); signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stop_then_resume(tmp, full_acc, 'sigint-ignored', signal.SIGINT, preexec_fn=ignore_sigint)

def test_parallel_runs_share_one_sqlite_store(tmp_path):
    from rtk_nb.data import prepare
    prepare('digits', root=tmp_path / 'data')
    # a store nobody has created yet: the 4 processes race to initialise it
    procs = [launch(cfg(tmp_path, f"p{i}", seed=i, epochs=2)) for i in range(4)]
    results = [finish(p) for p in procs]
    import mlflow
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name('digits').experiment_id])
    assert len(runs) == 4 and all(r.info.status == 'FINISHED' for r in runs)
    assert all(len(client.get_metric_history(r.info.run_id, 'test_acc')) == 2 for r in runs)
    assert len({r.data.tags['out_dir'] for r in runs}) == 4       # checkpoints never collide
    print(f"\n4 parallel runs on one fresh SQLite store: {len(runs)} FINISHED, test_acc {[round(a, 1) for a, _ in results]}")

def test_tracking_server_down_fails_fast(tmp_path):
    c = cfg(tmp_path, 'down', tracking_uri=None)
    t0 = time.time()
    p = launch(c, env={'MLFLOW_TRACKING_URI': 'http://127.0.0.1:9'})   # nothing listens on the discard port
    out, err = p.communicate(timeout=120)
    dt = time.time() - t0
    assert p.returncode != 0 and 'unreachable' in err and 'http://127.0.0.1:9' in err, err[-2000:]
    assert not (tmp_path / 'down').exists()                             # nothing trained, nothing written
    print(f"\nunreachable tracking server: failed in {dt:.1f}s (process start included)")
    assert dt < 60

def test_bad_config_creates_nothing(tmp_path):
    from rtk_nb.train import fit
    from rtk_nb.checks import ConfigError
    for bad in ({'method': 'rtk', 'teacher_ckpt': 'x.ckpt', 'loss': {'keep': 0}}, {'loss': {'keep': 0.5}}, {'lr': -1.0}, {'dataset': 'imagenet'}, {'method': 'fitnet'}, {'batchsize': 64}):
        with pytest.raises(ConfigError):
            fit({**cfg(tmp_path, 'bad'), **bad})
    assert sorted(os.listdir(tmp_path)) == []
