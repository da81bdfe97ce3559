"""MkDocs hooks (mkdocs.yml `hooks:`): the site is made from the project's own files, nothing copied by hand.

- the notebooks of nbs/ become pages, rendered with their stored outputs by mkdocs-jupyter (no execution), after
  `page_notebook` has dropped nbdev's `#| hide` cells and the `#| ` directive lines of the others;
- results.md is generated from the quick profile's report (results/quick-profile/: README.md, results.md,
  curve and attention PNGs);
- MathJax is served from the site itself (offline): copied at build time from the pinned PyPI package
  jupyter-server-mathjax into site/assets/mathjax/;
- the API under the code, as nbdev's pages show it: under each `#| export` cell, the signature and the parameter table
  of every public function, class and `@patch`ed method the cell defines (`api_cell`, read from the imported module
  and its Google-style docstrings), and every backticked public name in the prose links to its entry (`link_names`);
- what the pages must not show or break: no empty `In [ ]:` prompts, no duplicate heading ids, and a table of contents
  made from the rendered headings themselves (mkdocs-jupyter drops the code of a heading like "`fit`: the recipe" from
  its anchor, which then leads nowhere).
"""
import ast, html, importlib, inspect, json, logging, re, shutil, tempfile
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
    """A notebook as its page shows it: `#| hide` cells dropped, `#| ` directive lines removed, cells left empty dropped,
    and under each `#| export` cell the API entries of what it defines (`api_cell`)."""
    cells, module = [], None
    for c in nb['cells']:
        lines = ''.join(c['source']).splitlines(True)
        if c['cell_type'] == 'code':
            if m := re.match(r'^#\|\s*default_exp\s+(\S+)', ''.join(lines)): module = f"rtk_nb.{m.group(1)}"
            if any(re.match(r'^#\|\s*hide\s*$', l) for l in lines): continue
            export = any(re.match(r'^#\|\s*export\s*$', l) for l in lines)
            lines = [l for l in lines if not _DIRECTIVE.match(l)]
            if not ''.join(lines).strip() and not c.get('outputs'): continue
            cells.append({**c, 'source': ''.join(lines).strip('\n')})
            if export and module and (doc := api_cell(module, ''.join(lines))):
                cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': doc})
            continue
        cells.append({**c, 'source': ''.join(lines).strip('\n')})
    return {**nb, 'cells': cells}

# ------------------------------------------------------------------------------------ the API under the code

def exported_names(src: str) -> list[str]:
    "The public functions and classes a cell defines, and its `@patch`ed methods as `Class.method`, in order."
    out = []
    for n in ast.parse(src).body:
        if not isinstance(n, (ast.FunctionDef, ast.ClassDef)) or n.name.startswith('_'): continue
        patch = [d for d in n.decorator_list if (d.func if isinstance(d, ast.Call) else d).__dict__.get('id') == 'patch']
        if patch and isinstance(n, ast.FunctionDef):
            ann = (n.args.args[0].annotation if n.args.args else None)
            if isinstance(ann, ast.Name): out.append(f"{ann.id}.{n.name}")
        else: out.append(n.name)
    return out

def _md_inline(text: str) -> str:
    "A docstring's text as HTML: escaped, `code` spans kept as code (they are linked with the rest of the page)."
    parts = re.split(r'(`[^`]+`)', text)
    return ''.join(f"<code>{html.escape(p[1:-1])}</code>" if p.startswith('`') and p.endswith('`') else html.escape(p)
                   for p in parts)

def _ann(a) -> str:
    "An annotation as the source wrote it (a string under `from __future__ import annotations`), '' for none."
    return '' if a is inspect.Parameter.empty else a if isinstance(a, str) else inspect.formatannotation(a)

def _param(p: inspect.Parameter) -> str:
    star = {p.VAR_POSITIONAL: '*', p.VAR_KEYWORD: '**'}.get(p.kind, '')
    ann, default = _ann(p.annotation), '' if p.default is p.empty else repr(p.default)
    return f"{star}{p.name}{': ' + ann if ann else ''}{(' = ' if ann else '=') + default if default else ''}"

def _signature(name: str, obj) -> str:
    "`name(params) -> ret`, one parameter a line when it would not fit in 96 characters (as black lays them out)."
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return name
    params, star = [], False
    for p in sig.parameters.values():
        if p.name in ('self', 'cls'): continue
        if p.kind == p.KEYWORD_ONLY and not star: params.append('*')
        star = star or p.kind in (p.KEYWORD_ONLY, p.VAR_POSITIONAL)
        params.append(_param(p))
    ret = f" -> {_ann(sig.return_annotation)}" if _ann(sig.return_annotation) and not inspect.isclass(obj) else ''
    one = f"{name}({', '.join(params)}){ret}"
    return one if len(one) <= 96 else f"{name}(\n" + ''.join(f"    {p},\n" for p in params) + f"){ret}"

def _doc_entry(module: str, qual: str, obj, kind: str) -> str:
    import griffe
    logging.getLogger('griffe').setLevel(logging.ERROR)
    doc = inspect.getdoc(obj) if obj.__doc__ else ''
    sections = griffe.Docstring(doc).parse('google', warn_missing_types=False) if doc else []
    try: sig_params = inspect.signature(obj).parameters
    except (TypeError, ValueError): sig_params = {}
    out = [f'<div class="rtk-api" id="{module}.{qual}" markdown="0">',
           f'<p class="rtk-api-name"><span class="rtk-api-kind">{kind}</span> <a href="#{module}.{qual}"><code>{qual}</code></a>'
           f' <span class="rtk-api-module">{module}</span></p>',
           f'<pre class="rtk-api-sig"><code>{html.escape(_signature(qual, obj))}</code></pre>']
    for s in sections:
        kindv = s.kind.value
        if kindv == 'text': out += [f"<p>{_md_inline(par)}</p>" for par in s.value.split('\n\n')]
        elif kindv in ('parameters', 'attributes', 'other parameters'):
            rows = []
            for prm in s.value:
                sp = sig_params.get(prm.name.lstrip('*'))
                ann = str(prm.annotation or (_ann(sp.annotation) if sp is not None else ''))
                default = '' if sp is None or sp.default is inspect.Parameter.empty else repr(sp.default)
                rows.append(f"<tr><td><code>{html.escape(prm.name)}</code></td><td>{'<code>' + html.escape(ann) + '</code>' if ann else ''}</td>"
                            f"<td>{'<code>' + html.escape(default) + '</code>' if default else ''}</td><td>{_md_inline(prm.description)}</td></tr>")
            head = 'attribute' if kindv == 'attributes' else 'parameter'
            out.append(f'<table class="rtk-api-params"><thead><tr><th>{head}</th><th>type</th><th>default</th><th>description</th></tr></thead>'
                       f"<tbody>{''.join(rows)}</tbody></table>")
        elif kindv == 'returns':
            out.append('<p><strong>Returns:</strong> ' + ' '.join(_md_inline(r.description) for r in s.value) + '</p>')
        elif kindv == 'raises':
            out.append('<p><strong>Raises:</strong> ' + '; '.join(f"<code>{html.escape(str(r.annotation))}</code>: {_md_inline(r.description)}"
                                                                for r in s.value) + '</p>')
        elif kindv == 'examples':
            out += [f"<pre><code>{html.escape(v)}</code></pre>" if k.value == 'examples' else f"<p>{_md_inline(v)}</p>" for k, v in s.value]
    out.append('</div>')
    return '\n'.join(out)

API_INDEX: dict[str, str] = {}      # every entry of the pages: 'create_model', 'Study.runs', 'rtk_nb.models.create_model' -> its URL

def api_cell(module: str, src: str) -> str:
    "The API entries (signature, docstring, parameter table) of what an `#| export` cell of `module` defines, as HTML."
    try: mod = importlib.import_module(module)
    except ImportError: return ''
    entries = []
    for qual in exported_names(src):
        obj = mod
        for part in qual.split('.'): obj = getattr(obj, part, None)
        if obj is None: continue
        if inspect.isclass(obj):
            entries.append(_doc_entry(module, qual, obj, 'class'))
            try: lines, start = inspect.getsourcelines(obj)
            except (OSError, TypeError): lines, start = [], 0
            body = range(start, start + len(lines))
            for n, m in vars(obj).items():          # the public methods written in the class body (not those added by @patch)
                f = m.__func__ if isinstance(m, (classmethod, staticmethod)) else m
                if (not n.startswith('_') and inspect.isfunction(f) and f.__doc__ and f.__module__ == module
                        and f.__code__.co_firstlineno in body):
                    entries.append(_doc_entry(module, f"{qual}.{n}", getattr(obj, n), 'method'))
        elif callable(obj):
            entries.append(_doc_entry(module, qual, obj, 'method' if '.' in qual else 'function'))
    return '\n\n'.join(entries)

def _register_entries(page_url: str, content: str):
    for full in re.findall(r'<div class="rtk-api" id="([^"]+)"', content):
        qual = full.split('.', 2)[2]               # rtk_nb.<module>.<qualname>
        for key in (full, qual, f"{full.split('.')[1]}.{qual}", f"rtk_nb.{full.split('.')[1]}"):
            API_INDEX.setdefault(key, f"{page_url}#{full}")

_CODE = re.compile(r'<code>((?:rtk_nb\.)?[A-Za-z_][\w.]*)(\([^<]*\))?</code>')

def link_names(content: str, page_url: str) -> str:
    "Every `name` (or `name()`) of the prose that is a public entry of the API becomes a link to it; headings, links and code blocks stay as they are."
    def sub(m):
        url = API_INDEX.get(m.group(1))
        if not url: return m.group(0)
        if url.startswith(page_url + '#'): url = '#' + url.split('#', 1)[1]     # an entry of this page
        return f'<a class="rtk-api-ref" href="{url}">{m.group(0)}</a>'
    parts = re.split(r'(<h[1-6][^>]*>.*?</h[1-6]>|<a\b[^>]*>.*?</a>|<pre\b.*?</pre>|<p class="rtk-api-name">.*?</p>)', content, flags=re.S)
    return ''.join(p if i % 2 else _CODE.sub(sub, p) for i, p in enumerate(parts))

_PAGES = Path(tempfile.mkdtemp(prefix='rtk_nb-docs-'))     # the notebooks as pages, for this build only

@event_priority(100)   # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files, config):
    for nb in sorted(NBS.glob('*.ipynb')):
        page = page_notebook(json.loads(nb.read_text()))
        (_PAGES / nb.name).write_text(json.dumps(page))
        for c in page['cells']:
            if c['cell_type'] == 'markdown': _register_entries(f"{nb.stem}.html", c['source'])
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

_PROMPT = re.compile(r'<div class="jp-(?:Input|Output)Prompt jp-(?:Input|Output)Area-prompt">[^<]*</div>')
_HEADING = re.compile(r'<h([1-6])([^>]*?) id="([^"]+)"([^>]*)>(.*?)</h\1>', re.S)

def _unique_heading_ids(content: str) -> str:
    "Headings with the same text get distinct ids (`command-line`, `command-line_1`), as Python-Markdown's toc names them."
    seen = {}
    def sub(m):
        i = m.group(3); n = seen.get(i, 0); seen[i] = n + 1
        if not n: return m.group(0)
        new = f"{i}_{n}"
        return m.group(0).replace(f'id="{i}"', f'id="{new}"', 1).replace(f'href="#{i}"', f'href="#{new}"')
    return _HEADING.sub(sub, content)

def _toc_from_headings(content: str):
    "The page's table of contents from its rendered headings: every entry's anchor is an id that the page has."
    from mkdocs.structure.toc import get_toc
    root = {'level': 0, 'children': []}; stack = [root]
    for m in _HEADING.finditer(content):
        name = re.sub(r'<a class="anchor-link".*?</a>|<[^>]+>', '', m.group(5)).replace('¶', '').strip()
        tok = {'level': int(m.group(1)), 'id': m.group(3), 'name': html.unescape(name), 'children': []}
        while stack[-1]['level'] >= tok['level']: stack.pop()
        stack[-1]['children'].append(tok); stack.append(tok)
    return get_toc(root['children'])

_PLAIN_BLOCK = re.compile(r'<div class="highlight">(<pre><span></span>((?:(?!</pre>).)*)</pre>)', re.S)

def _mark_captures(content: str) -> str:
    """A fenced block of plain text (a ```text terminal capture, such as the README's 200-column `dvc exp show`: the
    highlighter marked no token in it) gets the class `rtk-capture`, which docs/assets/extra.css sets small enough to be
    seen whole at 1400 px. Code blocks keep their size (and ruff's line length)."""
    return _PLAIN_BLOCK.sub(lambda m: m.group(0) if '<span' in m.group(2) else f'<div class="highlight rtk-capture">{m.group(1)}',
                            content)

def on_page_content(content, page, config, files):
    if not page.file.src_uri.endswith('.ipynb'): return content
    content = _mark_captures(_unique_heading_ids(_PROMPT.sub('', content)))   # no `In [ ]:` prompt: cells are not numbered here
    page.toc = _toc_from_headings(content)
    return link_names(content, page.file.dest_uri)

_CDN_SCRIPT = re.compile(r'<script\b[^>]*>(?:(?!</script>).)*?https://cdnjs\.cloudflare\.com/(?:(?!</script>).)*</script>', re.S)

# The packaged MathJax carries only the STIX-Web fonts (as Jupyter's own config uses them); say so before it loads.
_MATHJAX_FONTS = ('<script>window.MathJax = {"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", '
                  'imageFont: null}, SVG: {font: "STIX-Web"}, messageStyle: "none"};</script>')

def on_post_page(output, page, config):
    # nbconvert's template imports mermaid from a CDN; the site must not reach outside (diagrams stay code blocks).
    return _CDN_SCRIPT.sub('', output).replace('</head>', _MATHJAX_FONTS + '\n</head>', 1)

def on_shutdown():
    shutil.rmtree(_PAGES, ignore_errors=True)
