// Small enhancements for the pages; every page works without them.
(function () {
  "use strict";

  // Forms that destroy or publish something ask first (data-confirm holds the translated question).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One tap, one post: a slow network must not turn a double tap into two check-ins.
    var button = form.querySelector("button[type=submit]");
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });

  // A page restored from the back/forward cache must not keep its buttons disabled.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("button[disabled]:not([data-keep-disabled])").forEach(function (b) {
      b.disabled = false;
    });
  });

  // The list of people who may see a confidential item matters only when it is confidential.
  function syncConfidential(box) {
    var checkbox = box.querySelector("input[name=confidential]");
    var fieldset = box.querySelector("fieldset.restricted");
    if (!checkbox || !fieldset) return;
    fieldset.disabled = !checkbox.checked;
    fieldset.hidden = !checkbox.checked;
  }
  document.querySelectorAll("[data-confidential]").forEach(function (box) {
    syncConfidential(box);
    box.addEventListener("change", function () { syncConfidential(box); });
  });

  // The meeting page follows the session live through static/js/live.js and meeting-live.js.
})();
