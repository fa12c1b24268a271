// The builder's behaviour that the server's markup cannot carry by itself (kept out of the page so a
// Content-Security-Policy can forbid inline scripts):
// - switching the tier starts from that tier's defaults;
// - after each live validation, every field's aria-invalid follows its error line;
// - the dataset upload's 413/422 answers are shown (htmx swaps no 4xx by default), and a stored
//   dataset becomes the picked task.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select.matches && select.matches("select[data-reload-tier]")) {
      location.href = "/?tier=" + encodeURIComponent(select.value);
    }
  });

  // Each field's error line is swapped out of band: mark its input invalid (or not) to match.
  function syncInvalid() {
    document.querySelectorAll("#scenario .err[id^='err-']").forEach(function (err) {
      const control = document.getElementById("f-" + err.id.slice(4));
      if (!control) return;
      const bad = err.textContent.trim() !== "";
      control.setAttribute("aria-invalid", bad ? "true" : "false");
      control.querySelectorAll && control.querySelectorAll("input").forEach(function (box) {
        box.setAttribute("aria-invalid", bad ? "true" : "false");
      });
    });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (target && target.id === "dataset-result" && [413, 422].indexOf(event.detail.xhr.status) >= 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const result = event.detail.target;
    if (result && result.id === "dataset-result") {
      const done = result.querySelector("[data-task]");
      document.getElementById("dataset-file").setAttribute("aria-invalid", done ? "false" : "true");
      const select = document.getElementById("f-task");
      if (!done || !select) return;
      if (!Array.from(select.options).some(function (o) { return o.value === done.dataset.task; })) {
        select.add(new Option(done.dataset.label, done.dataset.task));
      }
      select.value = done.dataset.task;
      select.dispatchEvent(new Event("change", {bubbles: true}));
      return;
    }
    syncInvalid();
  });
  document.addEventListener("htmx:oobAfterSwap", syncInvalid);
})();
