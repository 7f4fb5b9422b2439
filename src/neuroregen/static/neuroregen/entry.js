/* Staff data entry: each answer is saved on its own, the page is never drawn again.
 *
 * A change to a question queues that question. One save is in flight at a time; when it
 * returns, the next queued question is sent with what it shows *then*, so a newer answer is
 * never overtaken by an older one, however fast the clicks come. The server merges the one
 * answer into the stored form under a row lock, so saves never overwrite each other.
 *
 * The reply's calculated values and shown questions are applied in place: focus and scroll stay
 * where the user is. The form's row version advances only through this page's own saves, so a
 * whole-form save still reports a conflict when someone else saved in between.
 *
 * A form that has been complete is corrected with a reason and saved whole; then each change
 * only asks for a preview of calculated values and branching (latest request wins).
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-entry-form]");
  if (!form) {
    return;
  }
  var summary = document.getElementById("nr-error-summary");
  if (summary) {
    summary.focus();
  }
  var fields = document.getElementById("nr-fields");
  var itemUrl = form.getAttribute("data-item-url");
  var previewUrl = form.getAttribute("data-preview-url");
  var statusBox = document.getElementById("nr-save-status");
  var versionInput = form.querySelector("input[name=row_version]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var known = parseInt((versionInput && versionInput.value) || "1", 10);
  var queue = []; // question names waiting, oldest first, each once
  var busy = false;
  var otherSaved = false;
  var heldSubmit = null;

  function say(key) {
    if (statusBox) {
      statusBox.textContent = key ? form.getAttribute("data-msg-" + key) || "" : "";
      statusBox.setAttribute("data-state", key || "");
    }
  }

  function questionOf(element) {
    var box = element.closest("[data-field]");
    return box ? box.getAttribute("data-field") : null;
  }

  function inputs(name) {
    return fields.querySelectorAll('[name="' + CSS.escape(name) + '"]');
  }

  function itemData(name) {
    var data = new FormData();
    data.append("field", name);
    inputs(name).forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) {
        return;
      }
      data.append(name, input.value);
    });
    var code = fields.querySelector('[name="' + CSS.escape(name + "__missing") + '"]');
    data.append("missing", code ? code.value : "");
    ["respondent", "language", "answered_on"].forEach(function (meta) {
      var input = form.querySelector('[name="' + meta + '"]');
      if (input) {
        data.append(meta, input.value);
      }
    });
    data.append("row_version", String(known));
    return data;
  }

  function showError(name, message) {
    var box = fields.querySelector('[data-field="' + CSS.escape(name) + '"]');
    if (!box) {
      return;
    }
    var note = box.querySelector("[data-field-error]");
    if (!message) {
      if (note) {
        note.remove();
      }
      return;
    }
    if (!note) {
      note = document.createElement("div");
      note.className = "invalid-feedback d-block";
      note.setAttribute("data-field-error", name);
      box.appendChild(note);
    }
    note.textContent = message;
  }

  function clearInputs(name) {
    inputs(name).forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = false;
      } else {
        input.value = "";
      }
    });
    var code = fields.querySelector('[name="' + CSS.escape(name + "__missing") + '"]');
    if (code) {
      code.value = "";
    }
  }

  function applyLayout(body) {
    var shown = new Set(body.shown || []);
    fields.querySelectorAll("[data-field]").forEach(function (box) {
      var name = box.getAttribute("data-field");
      var visible = shown.has(name);
      if (box.classList.contains("nr-question")) {
        box.hidden = !visible;
      } else {
        box.classList.toggle("d-none", !visible); // a calculated value
      }
      var section = fields.querySelector('[data-section-of="' + CSS.escape(name) + '"]');
      if (section) {
        section.hidden = !visible;
      }
    });
    (body.cleared || []).forEach(clearInputs);
    Object.keys(body.calcs || {}).forEach(function (name) {
      var value = fields.querySelector('[data-testid="calc-' + CSS.escape(name) + '"] strong');
      if (value) {
        var text = body.calcs[name];
        value.textContent = text === "" || text === null ? "—" : String(text);
      }
    });
    document.dispatchEvent(new CustomEvent("nr:layout"));
  }

  function settled() {
    if (heldSubmit) {
      var submitter = heldSubmit;
      heldSubmit = null;
      form.requestSubmit(submitter);
    }
  }

  function sendNext() {
    if (busy) {
      return;
    }
    if (!queue.length) {
      say(otherSaved ? "other" : "saved");
      settled();
      return;
    }
    busy = true;
    var name = queue.shift();
    say("saving");
    fetch(itemUrl, {
      method: "POST",
      body: itemData(name),
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (reply) {
        var json = (reply.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) {
          // a sign-in page after the session ended: stop, keep what is on screen
          queue.unshift(name);
          say("session");
          return "stop";
        }
        return reply.json().then(function (body) {
          if (reply.ok) {
            showError(name, "");
            if (body.previous === known) {
              known = body.version;
              if (versionInput) {
                versionInput.value = String(known);
              }
            } else {
              otherSaved = true;
            }
            applyLayout(body);
            return "next";
          }
          if (reply.status >= 500) {
            throw new Error("server");
          }
          var errors = body.errors || {};
          Object.keys(errors).forEach(function (key) {
            showError(key, errors[key]);
          });
          say("refused");
          heldSubmit = null;
          return "refused";
        });
      })
      .catch(function () {
        // no connection or a server error: try the same question again shortly
        if (queue.indexOf(name) < 0) {
          queue.unshift(name);
        }
        say("retry");
        return "wait";
      })
      .then(function (outcome) {
        busy = false;
        if (outcome === "next") {
          sendNext();
        } else if (outcome === "wait") {
          window.setTimeout(sendNext, 2000);
        } else if (outcome === "refused" && queue.length) {
          sendNext();
        }
      });
  }

  var previewSequence = 0;
  function preview() {
    var sequence = ++previewSequence;
    var data = new FormData(form);
    fetch(previewUrl, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (reply) {
        return reply.ok ? reply.json() : null;
      })
      .then(function (body) {
        if (body && sequence === previewSequence) {
          applyLayout(body); // only the answer to the latest change is applied
        }
      })
      .catch(function () {});
  }

  fields.addEventListener("change", function (event) {
    var name = questionOf(event.target);
    if (!name) {
      return;
    }
    if (!itemUrl) {
      if (previewUrl) {
        preview();
      }
      return;
    }
    if (queue.indexOf(name) < 0) {
      queue.push(name);
    }
    sendNext();
  });

  form.addEventListener("submit", function (event) {
    // A whole-form save waits for the answers still being saved, so it carries their version.
    if (itemUrl && (busy || queue.length)) {
      event.preventDefault();
      heldSubmit = event.submitter || null;
      if (!heldSubmit) {
        heldSubmit = form.querySelector("button[type=submit]");
      }
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (busy || queue.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
