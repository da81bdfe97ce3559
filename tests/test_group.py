"""The group engine (rtk_nb.group) where a notebook cell cannot reach: torch.compile's own counters show that a group's
compiled step is compiled once, whatever the dataset's size (the smaller last batch and the evaluation pass add no
graph), and a real SIGTERM to a process training a group marks every unfinished run KILLED with its `last.ckpt`
intact, and the rerun ends exactly like an uninterrupted group."""
import json, os, signal, subprocess, sys, textwrap
from pathlib import Path
import pytest, torch
from conftest import digits_run

def base(d: Path, **kw) -> dict:
    return digits_run(d, batch_size=256, **kw)

@pytest.fixture(scope='module')
def teacher(tmp_path_factory, digits_teacher) -> tuple[Path, str]:
    "A folder for this module's runs, and the session's digits teacher (conftest.py)."
    return tmp_path_factory.mktemp('group'), digits_teacher

def test_compiled_group_step_is_compiled_once(teacher, monkeypatch):
    """compile='step' on a group of two: every graph is made in the first two steps (the second step's optimizer has
    momentum buffers to read), none for the smaller last batch, the evaluation or the second epoch's learning rate.
    Dynamo's backend 'eager' keeps the test to seconds: recompiles are decided by dynamo's guards, not the backend."""
    from torch._dynamo.utils import counters
    from rtk_nb.train import TrainConfig
    from rtk_nb.group import fit_group
    d, tck = teacher
    compile_ = torch.compile
    monkeypatch.setattr(torch, 'compile', lambda fn, **kw: compile_(fn, backend='eager'))
    torch._dynamo.reset(); counters.clear()
    seen = {}
    cfgs = [TrainConfig(**base(d, track=False), method=m, teacher_ckpt=tck, compile='step', out_dir=str(d / f'compiled-{m}'))
            for m in ('kd', 'rtk')]
    steps = -(-1437 // 256)                                   # the digits training split: 5 full batches and a smaller one
    r = fit_group(cfgs, on_step=lambda e, s: seen.setdefault((e, s), counters['stats']['unique_graphs']))
    assert [x['outcome'] for x in r] == ['trained', 'trained']
    assert len(seen) == 2 * steps, sorted(seen)
    graphs = counters['stats']['unique_graphs']
    assert graphs > 0 and seen[(1, 2)] == graphs, (seen, graphs)     # nothing compiled after the second step
    assert not counters['recompiles'], dict(counters['recompiles'])

def test_sigterm_kills_every_unfinished_run_of_a_group(teacher):
    d, tck = teacher
    uri = f"sqlite:///{d / 'mlflow.db'}"
    cfgs = [base(d, method=m, teacher_ckpt=tck, tracking_uri=uri, experiment='sig', out_dir=str(d / 'sig' / m)) for m in ('kd', 'at')]
    code = textwrap.dedent(f"""
        import json, os, signal, torch; torch.set_num_threads(1)
        from rtk_nb.train import TrainConfig
        from rtk_nb.group import fit_group
        cfgs = [TrainConfig.from_dict(c) for c in json.loads({json.dumps(json.dumps(cfgs))})]
        def term(e, s):
            if (e, s) == (2, 3) and os.environ.get('SEND_TERM'): os.kill(os.getpid(), signal.SIGTERM)
        r = fit_group(cfgs, on_step=term)
        print('RESULT', json.dumps([[x['outcome'], x['test_acc']] for x in r]))
    """)
    def launch(**env):
        return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=600, env={**os.environ, **env},
                              preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGTERM)])
    p = launch(SEND_TERM='1')
    assert p.returncode != 0 and 'stopped by SIGTERM' in p.stderr, p.stderr[-2000:]
    from rtk_nb.checkpoint import load_checkpoint
    from rtk_nb.train import TrainConfig, run_fingerprint
    from rtk_nb.runstore import state_dir
    lasts = [state_dir(c.output_dir, run_fingerprint(c)) / 'last.ckpt' for c in map(TrainConfig.from_dict, cfgs)]
    assert [load_checkpoint(f)['epoch'] for f in lasts] == [1, 1]
    import mlflow
    client = mlflow.MlflowClient(uri)
    exp = client.get_experiment_by_name('sig').experiment_id
    assert sorted(r.info.status for r in client.search_runs([exp])) == ['KILLED', 'KILLED']
    p = launch()
    assert p.returncode == 0, p.stderr[-2000:]
    resumed = json.loads(next(l for l in p.stdout.splitlines() if l.startswith('RESULT'))[7:])
    assert [o for o, _ in resumed] == ['trained', 'trained']
    assert sorted(r.info.status for r in client.search_runs([exp])) == ['FINISHED', 'FINISHED']   # the same two records
    from rtk_nb.train import TrainConfig
    from rtk_nb.group import fit_group
    full = fit_group([TrainConfig(**{**c, 'out_dir': c['out_dir'] + '-full', 'track': False, 'tracking_uri': None}) for c in cfgs])
    assert [a for _, a in resumed] == [r['test_acc'] for r in full]
