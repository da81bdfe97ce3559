// Typesets math on every page with the site's own MathJax (assets/mathjax/, no CDN). Notebook pages load
// MathJax themselves (mkdocs-jupyter, custom_mathjax_url); markdown pages (pymdownx.arithmatex) load it here.
(function () {
  if (window.MathJax && window.MathJax.Hub) return;   // already loaded by the notebook template
  var base = document.currentScript.src.replace(/mathjax-loader\.js.*$/, '');
  var s = document.createElement('script');
  s.src = base + 'mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe';
  document.head.appendChild(s);
})();
