/* Embeds the Vega-Lite specs of the evidence pages.
 * Specs sit in <script type="application/json"> blocks (never executed); each chart container
 * names its block with data-spec. Expressions are evaluated by the Vega interpreter, so the
 * Content-Security-Policy needs no 'unsafe-eval'. */
(function () {
  "use strict";
  function render(el) {
    var block = document.getElementById(el.getAttribute("data-spec"));
    if (!block) { return; }
    var spec = JSON.parse(block.textContent);
    window.vegaEmbed(el, spec, {
      actions: false,
      renderer: "svg",
      ast: true,
      expr: window.vega.expressionInterpreter
    }).then(function () {
      el.setAttribute("data-rendered", "true");
    }).catch(function (err) {
      el.setAttribute("data-rendered", "error");
      el.textContent = "Chart could not be drawn: " + err;
    });
  }
  function all() {
    document.querySelectorAll("[data-spec]").forEach(render);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", all);
  } else {
    all();
  }
})();
