// Live "N of M answered" counter for questionnaire pages (entry and family survey).
// Counts the questions currently shown (branching re-renders #nr-fields through htmx) that
// carry an answer or, on staff pages, a missing-data code. No inline script: CSP forbids it.
(function () {
  "use strict";

  function answered(question) {
    var name = question.getAttribute("data-field");
    var inputs = question.querySelectorAll("input, select, textarea");
    for (var i = 0; i < inputs.length; i += 1) {
      var input = inputs[i];
      if (input.name !== name && input.name !== name + "__missing") continue;
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) return true;
      } else if (input.type !== "range" && input.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function update() {
    var fields = document.getElementById("nr-fields");
    if (!fields) return;
    // Questions hidden by branching are drawn with the hidden attribute: not asked.
    var questions = Array.prototype.filter.call(
      fields.querySelectorAll(".nr-question[data-field][data-asked]"),
      function (question) { return !question.hidden; }
    );
    var done = 0;
    for (var i = 0; i < questions.length; i += 1) {
      if (answered(questions[i])) done += 1;
    }
    document.querySelectorAll("[data-progress-answered]").forEach(function (el) {
      el.textContent = String(done);
    });
    document.querySelectorAll("[data-progress-total]").forEach(function (el) {
      el.textContent = String(questions.length);
    });
  }

  document.addEventListener("change", update);
  document.addEventListener("input", update);
  document.addEventListener("htmx:afterSwap", update);
  document.addEventListener("nr:layout", update); // entry.js showed or hid questions in place
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
