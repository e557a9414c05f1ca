// Small enhancements for the pages; every page works without them. Also what the pages' scripts share,
// as window.ecabinet = {fetch, uuid, wiped} (loaded first: base.html, before static/js/api.js, which
// adds the API calls, and any page's own script).
(function () {
  "use strict";

  // Where a wiped device goes once it has forgotten everything: the login page, which says why.
  var WIPED_URL = document.currentScript && document.currentScript.getAttribute("data-wiped-url");
  var wiping = null;

  // Everything the app keeps in this browser: unsaved marks and reading places (localStorage), the
  // tab's own storage, and any cached documents, offline outbox (IndexedDB) or service worker.
  function forgetEverything() {
    try { window.localStorage.clear(); } catch (e) { /* storage refused: nothing was kept there */ }
    try { window.sessionStorage.clear(); } catch (e) { /* likewise */ }
    var jobs = [];
    if (window.caches) {
      jobs.push(window.caches.keys().then(function (names) {
        return Promise.all(names.map(function (name) { return window.caches.delete(name); }));
      }));
    }
    // The meetings downloaded for offline reading and the changes waiting to be sent (offline-store.js).
    if (window.indexedDB && window.indexedDB.databases) {
      jobs.push(window.indexedDB.databases().then(function (databases) {
        return Promise.all(databases.map(function (database) {
          return new Promise(function (resolve) {
            var request = window.indexedDB.deleteDatabase(database.name);
            request.onsuccess = request.onerror = request.onblocked = resolve;
          });
        }));
      }));
    }
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      jobs.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.map(function (r) { return r.unregister(); }));
      }));
    }
    return Promise.all(jobs.map(function (job) { return job.catch(function () {}); }));
  }

  // The server said this device was wiped (401 device_wiped, or the socket refused with it): forget
  // everything, then log in again. Page scripts see `window.ecabinet.isWiped()` and keep nothing more.
  function wiped() {
    if (!wiping) {
      wiping = forgetEverything().then(function () {
        if (WIPED_URL) window.location.replace(WIPED_URL);
      });
    }
    return wiping;
  }

  function isWiped() {
    return wiping !== null;
  }

  function toldWiped(response) {
    return response.clone().json().then(
      function (body) { return Boolean(body && body.error && body.error.code === "device_wiped"); },
      function () { return false; }
    );
  }

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
        if (response.status === 401) {
          return toldWiped(response).then(function (told) {
            if (told) wiped();
            return response;
          });
        }
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

  window.ecabinet = { fetch: retryingFetch, uuid: uuid, wiped: wiped, isWiped: isWiped };

  // The login page after a wipe (or a page that found its login wiped) forgets again: a page script
  // may have written something between the first clearing and leaving.
  if (document.querySelector("[data-device-wiped]")) forgetEverything();

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

  // A date-and-time field is drawn in the browser's own language, which may put the month first
  // (07/12 read as 12 July where 7 December was meant): beneath it, the chosen time written out in the
  // page's language, month by name. The value is the cabinet's wall-clock time, written as it is.
  function spelledOut(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!m) return "";
    var when = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
    return new Intl.DateTimeFormat(document.documentElement.lang || "vi", {
      weekday: "long", day: "numeric", month: "long", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC",
    }).format(when);
  }
  document.querySelectorAll("input[type=datetime-local]").forEach(function (input) {
    var shown = document.createElement("output");
    shown.className = "hint when";
    shown.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", shown);
    function show() { shown.textContent = spelledOut(input.value); }
    show();
    input.addEventListener("input", show);
    input.addEventListener("change", show);
  });

  // The meeting page follows the session live through static/js/live.js and meeting-live.js.
})();
