"""Write docs/vendor/dvc_plots.html: the HTML template that `dvc plots show` fills (.dvc/config plots.html_template),
carrying vega, vega-lite and vega-embed inline, so the plots page renders offline (DVC's default page loads them
from a CDN and is blank without internet). The scripts come from the npm registry packages, pinned below
(`npm pack`, integrity-checked by npm); their licences go to docs/vendor/VEGA-LICENSES.txt. Rerun after changing a pin:

    python scripts/vendor_vega.py          # needs npm and the npm registry; the result is committed
"""
import subprocess, tarfile, tempfile
from pathlib import Path
from rtk_nb.files import write_text

ROOT = Path(__file__).resolve().parents[1]
# The versions dvc-render's own page asks for (dvc_render/vega.py), so DVC's vega-lite v5 templates render the same.
PACKAGES = {'vega': '5.20.2', 'vega-lite': '5.2.0', 'vega-embed': '6.18.2'}

# vegaEmbed wrapped: SVG rendering (marks are DOM elements) and every view kept in window.dvcPlotViews, so a browser
# test (tests/test_ui.py) can read what was drawn.
HOOK = """<script>
window.dvcPlotViews = [];
(function (embed) {
  window.vegaEmbed = function (el, spec, opt) {
    return embed(el, spec, Object.assign({renderer: 'svg', actions: false}, opt || {}))
      .then(function (res) { window.dvcPlotViews.push(res.view); return res; })
      .catch(function (err) { window.dvcPlotErrors = (window.dvcPlotErrors || []).concat(String(err)); throw err; });
  };
})(window.vegaEmbed);
</script>"""

PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
    <!-- vendored by scripts/vendor_vega.py from the npm registry: %(versions)s (licences: VEGA-LICENSES.txt) -->
%(scripts)s
%(hook)s
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""

def main():
    scripts, licences = [], []
    with tempfile.TemporaryDirectory() as d:
        for name, ver in PACKAGES.items():
            tgz = subprocess.run(['npm', 'pack', f'{name}@{ver}', '--silent'], cwd=d, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(d) / tgz) as t:
                js = t.extractfile(f'package/build/{name}.min.js').read().decode()
                lic = t.extractfile('package/LICENSE').read().decode()
            assert '</script' not in js.lower() and '{plot_divs}' not in js and '{refresh_tag}' not in js, name
            js = js.replace('//# sourceMappingURL=', '// (source map not vendored) ')
            scripts.append(f'<script>/* {name}@{ver} */\n{js}\n</script>')
            licences.append(f'==== {name}@{ver} (npm) ====\n{lic.strip()}\n')
    out = ROOT / 'docs' / 'vendor'; out.mkdir(parents=True, exist_ok=True)
    versions = ', '.join(f'{n}@{v}' for n, v in PACKAGES.items())
    write_text(out / 'dvc_plots.html', PAGE % {'versions': versions, 'scripts': '\n'.join(scripts), 'hook': HOOK})
    write_text(out / 'VEGA-LICENSES.txt', '\n'.join(licences))
    print(f"wrote {out / 'dvc_plots.html'} ({versions})")

if __name__ == '__main__':
    main()
