"""The project's structural rules, checked on the files themselves: the library is pyflakes-clean; notebooks keep
export cells short (fastcore's rhythm: a small export cell, its explanation and its test); nothing outside `rtk_nb`
imports a private name from it; no file points outside the repository; every stage's DVC dependencies cover the
library modules its code imports; training never imports the report; only rtk_nb.study spells run folders and lists
runs; every public function documents its parameters."""
import ast, json, re, subprocess, sys
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]

def tracked(*globs):
    out = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', *globs], cwd=ROOT, capture_output=True, text=True).stdout
    return [ROOT / f for f in out.split() if (ROOT / f).is_file()]

def test_library_is_pyflakes_clean():
    r = subprocess.run([sys.executable, '-m', 'pyflakes', *map(str, sorted((ROOT / 'rtk_nb').glob('*.py')))],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

def _code_lines(src: str) -> int:
    "Lines of a cell's code: directives and docstrings (the parameter tables the docs render) do not count."
    tree = ast.parse(src)
    doc = set()
    for n in ast.walk(tree):
        body = getattr(n, 'body', None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            doc |= set(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for i, l in enumerate(src.splitlines(), 1) if i not in doc and not l.startswith('#|'))

def test_export_cells_are_short():
    long = []
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] == 'code' and src.startswith('#| export') and (n := _code_lines(src)) > 60:
                long.append(f"{nb.name}: {src.splitlines()[1][:60]} ({n} lines of code)")
    assert not long, long

def test_no_private_imports_outside_the_package():
    bad = []
    for f in tracked('*.py', '*.ipynb'):
        if f.parts[len(ROOT.parts)] in ('rtk_nb', 'nbs'): continue
        text = f.read_text(errors='replace')
        for m in re.finditer(r"from rtk_nb[\w.]* import ([^\n]+)", text):
            bad += [f"{f.relative_to(ROOT)}: {n.strip()}" for n in m.group(1).split(',') if n.strip().startswith('_')]
    assert not bad, bad

def test_nothing_points_outside_the_repository():
    hits = [str(f.relative_to(ROOT)) for f in tracked() if f.suffix in ('.py', '.ipynb', '.md', '.yaml', '.toml', '.txt', '')
            and 'shared/' in f.read_text(errors='replace') and f.name != 'test_structure.py']
    assert not hits, hits

def _imports(module: str) -> set:
    "The rtk_nb modules that `rtk_nb/<module>.py` imports, transitively."
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m in seen: continue
        seen.add(m)
        for n in ast.walk(ast.parse((ROOT / 'rtk_nb' / f'{m}.py').read_text())):
            if isinstance(n, ast.ImportFrom):
                mod = (n.module or '').replace('rtk_nb.', '').replace('rtk_nb', '')
                names = [mod.split('.')[0]] if mod else [a.name for a in n.names]
                todo += [x for x in names if (ROOT / 'rtk_nb' / f'{x}.py').exists()]
    return seen

def _code_cells(nb: Path) -> str:
    return '\n'.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code')

def _notebook_imports(nb: Path) -> set:
    "The rtk_nb modules a pipeline notebook imports, transitively."
    mods = set(re.findall(r"from rtk_nb\.(\w+) import|import rtk_nb\.(\w+)", _code_cells(nb)))
    return set().union(*(_imports(m) for pair in mods for m in pair if m))

def test_dvc_stages_depend_on_the_code_they_run():
    stages = yaml.safe_load((ROOT / 'dvc.yaml').read_text())['stages']
    cli = _imports('cli')                                  # every stage but curves runs rtk-nb (rtk_nb.cli, its lazy imports included)
    curves = set().union(*(_imports(m) for m in re.findall(r"from rtk_nb\.(\w+) import", (ROOT / 'scripts' / 'curves.py').read_text())))
    need = {'data': cli, 'train': cli | _notebook_imports(ROOT / 'pipelines' / 'train.ipynb'),
            'report': cli | _notebook_imports(ROOT / 'pipelines' / 'report.ipynb'), 'curves': curves}
    for name, mods in need.items():
        st = stages[name].get('do', stages[name])
        deps = {Path(d).stem for d in st['deps'] if str(d).startswith('rtk_nb/')}
        assert mods <= deps, (name, sorted(mods - deps))
        assert 'user_plugins' in st['deps'], name

def test_training_does_not_import_the_report():
    "Editing the report never makes a finished training stage stale: neither the training notebook nor its modules import it."
    assert 'report' not in _notebook_imports(ROOT / 'pipelines' / 'train.ipynb') | _imports('cli') | _imports('train') | _imports('study')
    stages = yaml.safe_load((ROOT / 'dvc.yaml').read_text())['stages']
    assert 'rtk_nb/report.py' not in stages['train']['deps']
    assert {'cli', 'pipeline'}.isdisjoint(_imports('report')) and 'study' in _imports('report')   # the report asks the study

# Run folders and run lists: only rtk_nb.study spells them (dvc.yaml states the same for DVC: test_pipeline checks they agree).
_FOLDER_PARTS = {'results', 'runs', 'ablation', 'notebooks'}
_FOLDER_NAME = re.compile(r"teacher-\{|-s\{|keep\{")
_STUDY_KEYS = re.compile(r"\[\s*['\"](datasets|pairs|methods|seeds|teachers|teacher_seed|recipes|ablation)['\"]\s*\]")
# the one allowed elsewhere: a run outside any study (TrainConfig without out_dir) goes to runs/<dataset>/<run_name>
_ALLOWED = {('rtk_nb/config.py', 'runs')}

def _folder_parts(tree) -> list[str]:
    "The parts of the paths a module builds with `/` that name a run folder: 'results', 'runs', ..., or f-strings like teacher-{arch}."
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div):
            for side in (n.left, n.right):
                if isinstance(side, ast.Constant) and side.value in _FOLDER_PARTS: out.append(side.value)
                if isinstance(side, ast.JoinedStr):
                    t = ''.join(v.value if isinstance(v, ast.Constant) else '{' for v in side.values)
                    if _FOLDER_NAME.search(t): out.append(t)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and re.search(r"results/(runs|ablation)/", n.value): out.append(n.value)
    return out

def _sources(skip=('study.py',)):
    "The project's code: the library, scripts, benchmarks and the pipeline notebooks' code cells."
    for f in sorted((ROOT / 'rtk_nb').glob('*.py')) + sorted((ROOT / 'scripts').glob('*.py')) + sorted((ROOT / 'benchmarks').glob('*.py')):
        if f.name not in (*skip, '_modidx.py'): yield f, f.read_text()
    for f in sorted((ROOT / 'pipelines').glob('*.ipynb')): yield f, _code_cells(f)

def test_only_the_study_spells_run_folders_and_lists_runs():
    bad = []
    for f, src in _sources():
        rel = str(f.relative_to(ROOT))
        bad += [f"{rel}: builds a run folder path: {s!r}" for s in _folder_parts(ast.parse(src)) if (rel, s) not in _ALLOWED]
        bad += [f"{rel}: indexes the study's mapping: {m.group(0)}" for m in _STUDY_KEYS.finditer(src)]
    assert not bad, '\n'.join(bad)

def test_every_public_function_documents_its_parameters():
    "Every name in a module's __all__ (and every method added with fastcore's @patch) that takes parameters documents each one (Google style: what mkdocstrings renders as a table)."
    import griffe, importlib, logging
    logging.getLogger('griffe').setLevel(logging.ERROR)
    pkg = griffe.load('rtk_nb', search_paths=[str(ROOT)], docstring_parser='google')
    missing = []
    for modname, mod in sorted(pkg.modules.items()):
        if modname.startswith('_'): continue
        patched = [n for n, o in mod.members.items() if not o.is_alias and o.kind.value == 'function' and not n.startswith('_')
                   and any(d.value.canonical_path.split('.')[-1] == 'patch' or str(d.value).startswith('patch') for d in o.decorators)]
        for name in [*importlib.import_module(f'rtk_nb.{modname}').__all__, *patched]:   # and the methods added with @patch
            obj = mod.members.get(name)
            if obj is None or obj.is_alias or obj.kind.value not in ('function', 'class'): continue
            params = [p.name.lstrip('*') for p in getattr(obj, 'parameters', []) if p.name not in ('self', 'cls')]
            documented = {x.name.lstrip('*') for s in (obj.docstring.parsed if obj.docstring else [])
                          if s.kind.value in ('parameters', 'attributes', 'other parameters') for x in s.value}
            if set(params) - documented: missing.append(f"rtk_nb.{modname}.{name}: {sorted(set(params) - documented)}")
    assert not missing, '\n'.join(missing)

def test_the_train_stage_holds_every_study_run():
    """dvc.yaml spells the run folders' roots for DVC (it cannot ask Python): its one training stage, `train`, runs
    pipelines/train.ipynb (rtk_nb.schedule.run_study over the whole study); every run of the `Study` has its folder inside
    one of that stage's outputs, and they persist (DVC must not delete them before the stage runs: they hold each run's
    store); no stage per run is left."""
    import shlex
    from dvc.repo import Repo
    from rtk_nb.study import load_study
    study = load_study(ROOT / 'params.yaml')
    with Repo(str(ROOT)) as repo:
        stages = {s.addressing: s for s in repo.index.stages}
        st = stages['train']
        assert shlex.split(st.cmd)[:4] == ['rtk-nb', 'notebook', 'pipelines/train.ipynb', 'results/notebooks/train.ipynb'], st.cmd
        outs = {Path(o.def_path): o.persist for o in st.outs}
        assert outs == {Path('results/runs'): True, Path('results/ablation'): True}, outs
        assert all(any(r.out_dir.is_relative_to(o) for o in outs) for r in study.runs())
        assert not [a for a in stages if a.split('@')[0] in ('teacher', 'student', 'ablation')]
        assert {f"data/{ds}/prepared.json" for ds in study.datasets} <= {str(o.def_path) for s in stages.values() for o in s.outs}
        assert 'data' in {d.def_path for d in st.deps}                  # the data stages' outputs (.dvcignore hides the rest)

# A file on disk is its old complete version or its new one: every write goes through rtk_nb.files (atomic_write,
# write_text, write_json). Downloads go to a `.part` file renamed when verified (rtk_nb.data._fetch), which is atomic too.
_RAW_WRITE = [(re.compile(r"\.write_(text|bytes)\("), 'Path.write_text/write_bytes'),
              (re.compile(r"\bopen\([^)]*['\"][wax]b?\+?['\"]"), "open(..., 'w')"),
              (re.compile(r"\bjson\.dump\("), 'json.dump to a file'),
              (re.compile(r"\.savefig\((?![^)]*format=)"), 'savefig to a path'),
              (re.compile(r"\.to_csv\((?!\s*(index=|\)))"), 'to_csv to a path'),
              (re.compile(r"\btorch\.save\((?![^)]*\bbuf\b)"), 'torch.save to a path')]

def test_every_written_file_goes_through_the_atomic_writer():
    bad = []
    for f, src in _sources(skip=('files.py',)):
        for i, line in enumerate(src.splitlines(), 1):
            bad += [f"{f.relative_to(ROOT)}:{i}: {what}: {line.strip()[:100]}" for rx, what in _RAW_WRITE if rx.search(line)]
    assert not bad, '\n'.join(bad)

def test_the_teacher_method_is_named_once():
    "A teacher run is `TrainConfig.is_teacher` (or `rtk_nb.losses.TEACHER`): the literal 'teacher' is compared nowhere."
    hits = [f"{f.relative_to(ROOT)}: {m.group(0)}" for f, src in _sources(skip=()) for m in re.finditer(r"[=!]=\s*['\"]teacher['\"]", src)]
    assert not hits, hits
