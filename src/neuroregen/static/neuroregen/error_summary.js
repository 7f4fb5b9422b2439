// A refused form opens with its error summary focused (read out first, in view), and each of
// its links moves focus to the question it names. No inline script: CSP forbids it.
(function () {
  "use strict";

  function focusQuestion(event) {
    var link = event.target.closest("[data-testid=error-summary] a[href^='#q-']");
    if (!link) return;
    var question = document.getElementById(link.getAttribute("href").slice(1));
    if (!question) return;
    var input = question.querySelector("input:not([type=hidden]), select, textarea");
    if (input) {
      event.preventDefault();
      question.scrollIntoView({ block: "center" });
      input.focus({ preventScroll: true });
    }
  }

  function start() {
    var summary = document.querySelector("[data-testid=error-summary]");
    if (summary) summary.focus();
    document.addEventListener("click", focusQuestion);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
