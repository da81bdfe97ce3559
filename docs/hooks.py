"""MkDocs hooks (mkdocs.yml `hooks:`): the site is made from the project's own files, nothing copied by hand.

- the notebooks of nbs/ become pages, rendered with their stored outputs by mkdocs-jupyter (no execution), after
  `page_notebook` has dropped nbdev's `#| hide` cells and the `#| ` directive lines of the others;
- results.md is generated from the quick profile's report (results/quick-profile/: README.md, results.md,
  curve and attention PNGs);
- MathJax is served from the site itself (offline): copied at build time from the pinned PyPI package
  jupyter-server-mathjax into site/assets/mathjax/.
"""
import json, re, shutil, tempfile
from pathlib import Path
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
NBS, REPORT = ROOT / 'nbs', ROOT / 'results' / 'quick-profile'

def _mathjax_dir() -> Path:
    import jupyter_server_mathjax
    d = Path(jupyter_server_mathjax.__file__).parent / 'static'
    if not (d / 'MathJax.js').exists(): raise FileNotFoundError(f"MathJax.js not found in {d}")
    return d

def _title(nb: Path) -> str:
    "A notebook's page title: its first markdown `# heading`, else its file name."
    import json
    for c in json.loads(nb.read_text()).get('cells', []):
        if c['cell_type'] == 'markdown':
            for line in ''.join(c['source']).splitlines():
                if line.startswith('# '): return line[2:].strip()
    return nb.stem

def on_config(config):
    # the navigation follows the notebooks' numbered order (index first), whatever notebooks there are
    if config['nav'] is None:
        nbs = sorted(NBS.glob('*.ipynb'), key=lambda p: (p.name != 'index.ipynb', p.name))
        config['nav'] = ([{'Home': 'index.ipynb'} if nb.name == 'index.ipynb' else {_title(nb): nb.name} for nb in nbs]
                         + [{'Results (quick profile)': 'results.md'}, {'API reference': 'api.md'}])
    return config

def _results_page() -> str:
    intro = (REPORT / 'README.md').read_text().split('\n', 1)[1].strip()
    table = (REPORT / 'results.md').read_text().split('\n', 1)[1].strip()
    table = re.sub(r'\]\(([^)/]+\.png)\)', r'](results/\1)', table)   # the report's own figures, where the site keeps them
    out = ['# Results: the quick profile', '', intro, '', table, '']
    for kind, title in (('curves', 'Test accuracy per epoch'), ('attention', 'Attention maps')):
        for png in sorted(REPORT.glob(f'{kind}_*.png')):
            pair = png.stem.split('_', 2)[2].replace('-', ' → ')
            out += [f'## {title}: {pair}', '', f'![{title}, {pair}](results/{png.name})', '']
    return '\n'.join(out)

_DIRECTIVE = re.compile(r'^#\|')

def page_notebook(nb: dict) -> dict:
    "A notebook as its page shows it: `#| hide` cells dropped, `#| ` directive lines removed, cells left empty dropped."
    cells = []
    for c in nb['cells']:
        lines = ''.join(c['source']).splitlines(True)
        if c['cell_type'] == 'code':
            if any(re.match(r'^#\|\s*hide\s*$', l) for l in lines): continue
            lines = [l for l in lines if not _DIRECTIVE.match(l)]
            if not ''.join(lines).strip() and not c.get('outputs'): continue
        cells.append({**c, 'source': ''.join(lines).strip('\n')})
    return {**nb, 'cells': cells}

_PAGES = Path(tempfile.mkdtemp(prefix='rtk_nb-docs-'))     # the notebooks as pages, for this build only

@event_priority(100)   # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files, config):
    for nb in sorted(NBS.glob('*.ipynb')):
        (_PAGES / nb.name).write_text(json.dumps(page_notebook(json.loads(nb.read_text()))))
        files.append(File(nb.name, str(_PAGES), config['site_dir'], config['use_directory_urls']))
    files.append(File.generated(config, 'results.md', content=_results_page()))
    for img in sorted((ROOT / 'docs' / 'img').glob('*.png')):     # the README's images, at the README's paths
        files.append(File.generated(config, f'docs/img/{img.name}', abs_src_path=str(img)))
    for png in sorted(REPORT.glob('*.png')):
        files.append(File.generated(config, f'results/{png.name}', abs_src_path=str(png)))
    mj = _mathjax_dir()
    for f in sorted(mj.rglob('*')):
        if f.is_file() and '/localization/' not in f.as_posix():
            files.append(File.generated(config, f'assets/mathjax/{f.relative_to(mj).as_posix()}', abs_src_path=str(f)))
    return files

_CDN_SCRIPT = re.compile(r'<script\b[^>]*>(?:(?!</script>).)*?https://cdnjs\.cloudflare\.com/(?:(?!</script>).)*</script>', re.S)

# The packaged MathJax carries only the STIX-Web fonts (as Jupyter's own config uses them); say so before it loads.
_MATHJAX_FONTS = ('<script>window.MathJax = {"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", '
                  'imageFont: null}, SVG: {font: "STIX-Web"}, messageStyle: "none"};</script>')

def on_post_page(output, page, config):
    # nbconvert's template imports mermaid from a CDN; the site must not reach outside (diagrams stay code blocks).
    return _CDN_SCRIPT.sub('', output).replace('</head>', _MATHJAX_FONTS + '\n</head>', 1)

def on_shutdown():
    shutil.rmtree(_PAGES, ignore_errors=True)
