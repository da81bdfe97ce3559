"""The documentation site (`make docs`), checked on the built pages themselves, without a browser:

- nothing broken: a crawl from the home page follows every internal link, image, stylesheet and script, and every
  `#anchor` (the table of contents' included) must lead to an id of its page; no page has two elements with one id;
- no nbdev directive (`#|`) and no empty `In [ ]:` prompt on any page;
- the API under the code: every public function and class of a module (its `__all__`) and every method a notebook
  adds with `@patch` has its entry (signature, parameter table) on its notebook's page, and the prose's backticked
  public names link to those entries.

The browser checks (layout, MathJax, code lines cut at the right edge) are in tests/test_ui.py."""
import importlib, inspect, re, urllib.error, urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit, unquote
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / 'nbs').glob('*.ipynb'))

class _Page(HTMLParser):
    "The ids of a page and the URLs it refers to (links, images, stylesheets, scripts)."
    def __init__(self):
        super().__init__(); self.ids, self.refs = [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.append(a['id'])
        for t, attr in (('a', 'href'), ('img', 'src'), ('link', 'href'), ('script', 'src')):
            if tag == t and a.get(attr): self.refs.append((tag, a[attr]))

def fetch(url: str) -> str | None:
    try: return urllib.request.urlopen(url, timeout=30).read().decode(errors='replace')
    except urllib.error.HTTPError: return None

@pytest.fixture(scope='module')
def crawl(docs_site):
    "Every page reachable from index.html: url -> (ids, refs), and the broken references found on the way."
    pages, broken, todo, seen_files = {}, [], [f'{docs_site}/index.html'], {}
    while todo:
        url = todo.pop()
        if url in pages: continue
        html = fetch(url)
        if html is None: broken.append(('page', url, 'missing')); continue
        p = _Page(); p.feed(html); pages[url] = p
        for tag, ref in p.refs:
            u = urlsplit(ref)
            if u.scheme or u.netloc or ref.startswith(('mailto:', 'data:', 'javascript:')): continue   # nothing outside
            target = urljoin(url, ref).split('#')[0]
            if target.endswith('.html') or target.endswith('/'):
                if target not in pages and fetch(target) is None: broken.append((url, tag, ref, 'missing'))
                else: todo.append(target)
            elif target not in seen_files:
                try: urllib.request.urlopen(target, timeout=30).close(); seen_files[target] = True
                except urllib.error.HTTPError: seen_files[target] = False
            if not seen_files.get(target, True): broken.append((url, tag, ref, 'missing'))
    for url, p in pages.items():           # anchors, once every page is known
        for tag, ref in p.refs:
            if '#' not in ref or urlsplit(ref).scheme: continue
            target, frag = urljoin(url, ref).split('#', 1)
            if frag and target in pages and unquote(frag) not in pages[target].ids: broken.append((url, tag, ref, 'no such anchor'))
    return pages, broken

def test_every_page_reached(crawl, docs_site):
    pages, _ = crawl
    for name in [*NOTEBOOKS, 'results', 'api']: assert f'{docs_site}/{name}.html' in pages, name

def test_nothing_broken(crawl):
    pages, broken = crawl
    assert len(pages) >= len(NOTEBOOKS) + 2
    assert not broken, '\n'.join(map(str, broken[:50]))

def test_no_duplicate_ids(crawl):
    dup = {url: sorted({i for i in p.ids if p.ids.count(i) > 1}) for url, p in crawl[0].items()}
    assert not any(dup.values()), {u: d for u, d in dup.items() if d}

def test_docs_pages_hide_nbdev_directives_and_prompts(docs_site):
    "No page shows nbdev's `#| export` / `#| hide` lines, a `#| hide` cell's code, or an empty `In [ ]:` prompt."
    for nb in NOTEBOOKS:
        html = fetch(f'{docs_site}/{nb}.html')
        assert '#|' not in html, nb
        assert 'In&nbsp;[' not in html and 'In [ ]' not in html and 'class="jp-InputPrompt' not in html, nb
    assert 'from fastcore.test import' not in fetch(f'{docs_site}/01_losses.html')      # the hidden imports of the tests

def _entries() -> list[tuple[str, str]]:
    "(notebook, entry id) of every public function and class of the library, and of every method added with @patch."
    out = []
    for py in sorted((ROOT / 'rtk_nb').glob('[!_]*.py')):
        nb = re.search(r'File to edit: \.\./nbs/(\w+)\.ipynb', py.read_text()).group(1)
        mod = importlib.import_module(f'rtk_nb.{py.stem}')
        for name in mod.__all__:
            obj = getattr(mod, name)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == mod.__name__:
                out.append((nb, f'rtk_nb.{py.stem}.{name}'))
        for m in re.finditer(r'^@patch(?:\(.*\))?\ndef (\w+)\(\w+: (\w+)', py.read_text(), re.M):
            if not m.group(1).startswith('_'): out.append((nb, f'rtk_nb.{py.stem}.{m.group(2)}.{m.group(1)}'))
    return out

def test_api_under_the_code(docs_site):
    "Each public function's signature and parameter table on its notebook's page, the @patch'ed methods of `Study` included."
    entries, pages = _entries(), {}
    assert ('04a_study', 'rtk_nb.study.Study.runs') in entries and ('01_losses', 'rtk_nb.losses.rtk_loss') in entries
    missing = []
    for nb, eid in entries:
        html = pages.setdefault(nb, fetch(f'{docs_site}/{nb}.html'))
        if f'id="{eid}"' not in html: missing.append(f'{nb}: {eid}')
    assert not missing, '\n'.join(missing)
    losses = pages['01_losses']
    entry = losses[losses.index('id="rtk_nb.losses.rtk_loss"'):]
    entry = entry[:entry.index('</table>')]
    assert 'rtk_loss(' in entry and 's_feats: Sequence[torch.Tensor]' in entry and '<table class="rtk-api-params">' in entry
    for p in ('s_feats', 't_feats', 'beta', 'keep', 'tau'): assert f'<td><code>{p}</code></td>' in entry, p
    study = pages['04a_study']
    assert 'Study.stage_run(' in study and '<td><code>keep</code></td>' in study
    api = fetch(f'{docs_site}/api.html')            # the one-page index shows the @patch'ed functions as Study's methods
    assert 'id="rtk_nb.study.Study.runs"' in api and 'id="rtk_nb.study.runs"' not in api

def test_backticked_names_link_to_their_entries(docs_site):
    "A public name in backticks in the prose is a link to its entry, on its own page or another."
    train = fetch(f'{docs_site}/03d_train.html')
    assert '<a class="rtk-api-ref" href="#rtk_nb.train.fit"><code>fit</code></a>' in train
    assert '<a class="rtk-api-ref" href="03a_config.html#rtk_nb.config.TrainConfig"><code>TrainConfig</code></a>' in train
    index = fetch(f'{docs_site}/index.html')
    assert 'href="04a_study.html#rtk_nb.study.load_study"' in index
