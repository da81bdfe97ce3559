"""Run identity, driven as a DVC user drives it, on the session's quick-profile copy (after tests/test_pipeline.py):
a change to one loss term retrains only the runs that use it, a refactor is re-keyed on request, a round trip between
experiments trains nothing and leaves `dvc status` clean, and queued experiments share the workspace's runs and MLflow store."""
import re, subprocess, time
from pathlib import Path
import yaml
import smoke          # scripts/ is put on sys.path by conftest.py
from conftest import outcomes   # the `repo` fixture: conftest.py too

def sh(repo, *args, check=True) -> subprocess.CompletedProcess:
    "A command in the copy, with the copy's own rtk_nb (as a user's checkout has its own: `pip install -e .`)."
    return smoke.sh(*args, cwd=repo, env={**smoke.smoke_env(), 'PYTHONPATH': str(repo)}, check=check)

def commit(repo, msg):
    sh(repo, 'git', 'add', '-A')
    sh(repo, 'git', '-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-qm', msg, check=False)

def short(key: str) -> str:
    "`student@shapes-pair0-kd-0` -> `kd-s0` (its folder's name); other keys as they are."
    m = re.fullmatch(r"student@.+-pair\d+-(.+)-(\d+)", key)
    return f"{m[1]}-s{m[2]}" if m else key

def trained(r) -> set[str]:
    return {short(k) for k, o in outcomes(r).items() if o == 'trained'}

def folders(repo) -> list[Path]:
    return sorted(p.parent for p in (repo / 'results').rglob('model.ckpt') if '.store' not in p.parts)

def consistent(folder: Path) -> bool:
    "The run folder's files are one identity's, whole: byte-equal to the finished files of the identity its record names."
    from rtk_nb.runstore import folder_identity, FINAL
    sd = folder / '.store' / folder_identity(folder)
    return all((folder / f).read_bytes() == (sd / f).read_bytes() for f in FINAL)

def test_a_loss_change_retrains_only_its_runs(repo):
    commit(repo, 'before the code change')
    ds = yaml.safe_load((repo / 'params.yaml').read_text())['datasets'][0]
    losses = repo / 'rtk_nb/losses.py'; text = losses.read_text()
    kd = 'return F.kl_div('
    assert text.count(kd) == 1 and text.count('"""Attention Transfer as in') == 1
    t0 = time.time()        # a real change to kd_loss, a docstring of at_loss and a comment in rtk_target: only kd retrains
    losses.write_text(text.replace(kd, 'return 0.5 * F.kl_div(').replace('"""Attention Transfer as in', '"""Attention Transfer (AT) as in')
                      .replace('def rtk_target(', '# the target of RTK\ndef rtk_target('))
    r = smoke.repro(repo)
    print(f"\nkd_loss changed: dvc repro {time.time() - t0:.0f} s; " + ', '.join(f"{short(k)} {o}" for k, o in outcomes(r).items()))
    assert trained(r) == {'kd-s0'}, outcomes(r)                           # the kd student alone
    assert set(outcomes(r).values()) == {'trained', 'restored'} and len(outcomes(r)) > 5, outcomes(r)
    commit(repo, 'kd_loss halved')

def refactored_at_loss(text: str) -> str:
    "losses.py with at_loss's loop variables renamed: another AST, the same function."
    i, old = text.index('def at_loss('), 'for s, t in zip(s_feats, t_feats))'
    j = text.index(old, i) + len(old)
    assert j < text.index('def _check_pairs(')
    new = (text[i:j].replace('attention_map(s, p)', 'attention_map(fs, p)').replace('match_spatial(t.detach().float(), s)',
           'match_spatial(ft.detach().float(), fs)').replace(old, 'for fs, ft in zip(s_feats, t_feats))'))
    assert new.count('fs') == 3 and new.count('ft') == 2, new
    return text[:i] + new + text[j:]

def test_a_refactor_is_rekeyed_on_request(repo):
    "A refactor of at_loss changes the at run's identity; `rtk-nb rekey` says it changes no result, recorded in MLflow."
    ds = yaml.safe_load((repo / 'params.yaml').read_text())['datasets'][0]
    losses = repo / 'rtk_nb/losses.py'
    losses.write_text(refactored_at_loss(losses.read_text()))
    dry = sh(repo, 'rtk-nb', 'rekey', '--dry-run').stdout
    assert '1 run(s) would be re-keyed' in dry and 'at-s0' in dry, dry
    out = sh(repo, 'rtk-nb', 'rekey').stdout
    assert '1 run(s) re-keyed' in out, out
    r = sh(repo, 'dvc', 'repro', '-s', 'train')
    assert outcomes(r) and set(outcomes(r).values()) == {'restored'}, outcomes(r)     # its new identity: finished, nothing trains
    import mlflow
    client = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    at = [x for x in client.search_runs([client.get_experiment_by_name(ds).experiment_id], "tags.method = 'at'")]
    assert len(at) == 1 and at[0].data.tags.get('rtk_nb.rekeyed_from'), [x.data.tags for x in at]    # recorded, not silent
    listing = sh(repo, 'rtk-nb', 'runs').stdout
    print(listing)
    assert listing.count('kd-s0') == 2 and listing.count('at-s0') == 2, listing     # both identities of each are kept
    sh(repo, 'git', 'checkout', '--', 'rtk_nb/losses.py', 'dvc.lock'); sh(repo, 'dvc', 'checkout')   # the refactor undone
    assert 'Data and pipelines are up to date' in sh(repo, 'dvc', 'status').stdout

def test_round_trip_between_experiments_trains_nothing(repo):
    """`dvc exp run -S loss.kd.T=2.0`, then back with `dvc exp apply <baseline>` and `dvc repro`: nothing trains, `dvc status`
    is clean, dvc.lock is the committed one, every run folder holds one identity's files; no previous-* folder."""
    base = sh(repo, 'git', 'rev-parse', '--abbrev-ref', 'HEAD').stdout.strip()
    t0 = time.time()
    r = sh(repo, 'dvc', 'exp', 'run', '-n', 'kdT2', '-S', 'loss.kd.T=2.0')
    t_exp = time.time() - t0
    assert trained(r) == {'kd-s0'}, outcomes(r)
    t0 = time.time()
    sh(repo, 'dvc', 'exp', 'apply', base)
    r = smoke.repro(repo)
    t_back = time.time() - t0
    print(f"\nexp run T=2.0: {t_exp:.0f} s (trained kd-s0); exp apply {base} + dvc repro: {t_back:.0f} s, stages run: "
          f"{re.findall(r'Running stage .([^ ]+).', r.stdout)}")
    assert re.findall(r"Running stage '([^']+)'", r.stdout) == [], r.stdout                 # nothing to do at all
    assert 'Data and pipelines are up to date' in sh(repo, 'dvc', 'status').stdout
    assert sh(repo, 'git', 'diff', '--quiet', 'dvc.lock', check=False).returncode == 0       # dvc.lock is the commit's
    assert all(consistent(f) for f in folders(repo)), [f for f in folders(repo) if not consistent(f)]
    assert not list((repo / 'results').rglob('previous-*'))

def test_queued_experiments_share_the_workspace(repo):
    """Two queued experiments: each trains only its changed run, in DVC's temporary copy, and logs to the workspace's MLflow store."""
    import mlflow
    client = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    ds = yaml.safe_load((repo / 'params.yaml').read_text())['datasets'][0]
    before = {x.info.run_id for x in client.search_runs([client.get_experiment_by_name(ds).experiment_id])}
    # each experiment up to the train stage: no curves and report here
    sh(repo, 'dvc', 'exp', 'run', '--queue', '-n', 'q-kdT3', '-S', 'loss.kd.T=3.0', 'train')
    sh(repo, 'dvc', 'exp', 'run', '--queue', '-n', 'q-tau03', '-S', 'loss.rtk.tau=0.3', 'train')
    t0 = time.time()
    sh(repo, 'dvc', 'queue', 'start', '-j', '1')
    while time.time() - t0 < 1200:
        st = sh(repo, 'dvc', 'queue', 'status').stdout
        if 'Queued' not in st and 'Running' not in st: break
        time.sleep(5)
    print(f"\ntwo queued experiments: {time.time() - t0:.0f} s\n{st}")
    assert st.count('Success') == 2, st
    logs = {n: sh(repo, 'dvc', 'queue', 'logs', n).stdout for n in ('q-kdT3', 'q-tau03')}
    assert trained(logs['q-kdT3']) == {'kd-s0'}, outcomes(logs['q-kdT3'])
    assert trained(logs['q-tau03']) == {'rtk-s0'}, outcomes(logs['q-tau03'])
    new = [x for x in client.search_runs([client.get_experiment_by_name(ds).experiment_id]) if x.info.run_id not in before]
    assert sorted(x.info.run_name.split('-')[0] for x in new) == ['kd', 'rtk'], [x.info.run_name for x in new]
    assert all(x.info.status == 'FINISHED' for x in new)
    assert not list((repo / '.dvc/tmp/exps').glob('tmp*/mlflow.db'))                       # no store inside DVC's copies
