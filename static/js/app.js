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

  // The meeting page follows the session: when the live event log moves on (current item, check-ins,
  // agenda changes), reload — unless the reader is filling in a form, who gets a notice instead.
  var meeting = document.querySelector(".meeting[data-live-events]");
  if (!meeting || !meeting.getAttribute("data-live-events") || !window.fetch) return;
  var url = meeting.getAttribute("data-live-events");
  var after = parseInt(meeting.getAttribute("data-last-seq"), 10) || 0;
  var editing = false;
  document.addEventListener("input", function () { editing = true; });

  function poll() {
    fetch(url + "?after=" + after + "&limit=50", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (events) {
        if (!events.length) return;
        after = events[events.length - 1].seq;
        if (editing) {
          var notice = document.querySelector(".live-notice");
          if (notice) notice.hidden = false;
        } else {
          window.location.reload();
        }
      })
      .catch(function () { /* the network comes back; the next poll catches up */ })
      .finally(function () { window.setTimeout(poll, 8000); });
  }
  window.setTimeout(poll, 8000);
})();
