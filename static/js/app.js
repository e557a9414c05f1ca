// Small enhancements for the pages; every page works without them. Also what the pages' scripts share,
// as window.ecabinet = {fetch, uuid} (loaded first: base.html, before any page's own script).
(function () {
  "use strict";

  // A server that answers 503 has lost the database or Redis for a moment (a restart, a failover) and
  // says in Retry-After when to ask again: the request goes again by itself, a few times, before the
  // page hears of it. Only 503: it promises that nothing was done (a cast that did get recorded is
  // recognised by its client_id when it comes again).
  var RETRIES = 5;
  var LONGEST_WAIT_S = 10;

  function retryingFetch(url, init) {
    var attempt = 0;
    function once() {
      return window.fetch(url, init).then(function (response) {
        if (response.status !== 503 || attempt >= RETRIES) return response;
        attempt += 1;
        var seconds = parseInt(response.headers.get("Retry-After"), 10);
        if (!(seconds >= 0)) seconds = attempt; // no usable header: wait a little longer each time
        return new Promise(function (resolve) {
          window.setTimeout(resolve, Math.min(seconds, LONGEST_WAIT_S) * 1000);
        }).then(once);
      });
    }
    return once();
  }

  // crypto.randomUUID exists only on https:// and localhost; the cabinet's closed network may serve
  // plain http, where getRandomValues still works.
  function uuid() {
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  window.ecabinet = { fetch: retryingFetch, uuid: uuid };

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
