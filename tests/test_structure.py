"""The project's structural rules, checked on the files themselves: the library is pyflakes-clean; notebooks keep
export cells short (fastcore's rhythm: a small export cell, its explanation and its test); nothing outside `rtk_nb`
imports a private name from it; no file points outside the repository; every stage's DVC dependencies cover the
library modules its code imports."""
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

def test_export_cells_are_short():
    long = []
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] == 'code' and src.startswith('#| export') and len(src.splitlines()) > 60:
                long.append(f"{nb.name}: {src.splitlines()[1][:60]} ({len(src.splitlines())} lines)")
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

def test_dvc_stages_depend_on_the_code_they_run():
    stages = yaml.safe_load((ROOT / 'dvc.yaml').read_text())['stages']
    cli = _imports('cli') | _imports('pipeline')          # every stage's command is rtk-nb (rtk_nb.cli -> rtk_nb.pipeline)
    need = {'data': cli, 'teacher': _imports('train') | cli | _imports('report'), 'report': _imports('report') | cli}
    need['student'] = need['teacher']
    for name, mods in need.items():
        st = stages[name].get('do', stages[name])
        deps = {Path(d).stem for d in st['deps'] if str(d).startswith('rtk_nb/')}
        assert mods <= deps, (name, sorted(mods - deps))
