// The pages' side of reading offline (the service worker is static/js/sw.js, the storage
// static/js/offline-store.js): registers the worker, offers "Tải về để đọc ngoại tuyến" on a meeting
// page with each paper's state and size, keeps what was downloaded in step with what the server lists
// for the member at every contact, and tells the member what waits to be sent and what the server
// refused. Every word it shows comes from #offline-strings (templates/offline/_head.html).
(function () {
  "use strict";

  var store = window.ecabinetOffline;
  var script = document.currentScript;
  if (!store || !script || !("serviceWorker" in navigator) || !window.caches || !window.indexedDB) return;
  var strings = JSON.parse(document.getElementById("offline-strings").textContent);
  var API = script.getAttribute("data-api");
  var LOGOUT = script.getAttribute("data-logout-url");
  // Pages and annotation lists are fetched again at most this often; the list of what the member may
  // keep is asked for at every page, so that what was taken away goes at once.
  var REFRESH_MS = 5 * 60 * 1000;
  var CONCURRENT = 4;

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (whole, name) {
      return values[name] !== undefined ? values[name] : whole;
    });
  }

  function sizeOf(bytes) {
    var lang = document.documentElement.lang || "vi";
    if ((bytes || 0) < 1048576) return fill(strings.sizeKb, { size: Math.max(1, Math.round((bytes || 0) / 1024)).toLocaleString(lang) });
    return fill(strings.size, { size: (bytes / 1048576).toLocaleString(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 }) });
  }

  function element(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- downloading and keeping in step ------------------------------------------------------------

  // A copy whose size is known, with the server's headers (a page keeps its Content-Security-Policy
  // offline) but not the one that would make PDF.js ask for byte ranges of a file the device holds whole.
  async function fetchCopy(url) {
    var response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok || response.redirected) throw new Error(url + ": " + response.status);
    var blob = await response.blob();
    var headers = new Headers(response.headers);
    // The body is kept as it was delivered, whole and decoded.
    ["Accept-Ranges", "Content-Encoding", "Content-Length"].forEach(function (name) { headers.delete(name); });
    return { response: new Response(blob, { status: 200, headers: headers }), bytes: blob.size };
  }

  async function keepAll(cache, urls) {
    var sizes = {};
    var queue = urls.slice();
    async function worker() {
      while (queue.length) {
        var url = queue.shift();
        var copy = await fetchCopy(url);
        await cache.put(url, copy.response);
        sizes[url] = copy.bytes;
      }
    }
    var workers = [];
    for (var i = 0; i < CONCURRENT; i += 1) workers.push(worker());
    await Promise.all(workers);
    return sizes;
  }

  async function missing(cache, urls) {
    var out = [];
    for (var i = 0; i < urls.length; i += 1) if (!(await cache.match(urls[i], { ignoreVary: true }))) out.push(urls[i]);
    return out;
  }

  // Asks the server what the member may keep of the meeting and makes the device hold exactly that:
  // new papers and versions downloaded, what is no longer listed deleted. `refresh`: the pages and
  // annotation lists are fetched again too.
  async function sync(meetingId, refresh) {
    var response;
    try {
      response = await window.ecabinet.fetch(API + "/meetings/" + meetingId + "/offline", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
    } catch (error) {
      return; // offline: what is kept stays as it is
    }
    if (response.status === 404 || response.status === 403) {
      await store.remove("packages", meetingId);
      await prune();
      return render();
    }
    if (!response.ok) return; // logged out, wiped (app.js forgets), or the server busy
    var listing = await response.json();
    var before = (await store.get("packages", meetingId)) || { documents: [] };
    // What the pages show changed (an item hidden, a paper added or withdrawn, a ballot closed): the
    // copies of the pages go at once, so that none keeps showing what the member may no longer see.
    var shape = function (p) {
      return JSON.stringify([p.items, p.ballots, (p.documents || []).map(function (d) { return [d.id, d.version, d.title]; })]);
    };
    // (Compared with what the pages showed when last fetched, not with what was last listed: a sync cut
    // short by leaving the page may have listed the change without fetching the pages again.)
    var stale = refresh || shape(listing) !== before.pages_shape || !before.refreshed_at || Date.now() - before.refreshed_at > REFRESH_MS;
    var pkg = {
      meeting_id: listing.meeting_id,
      title: listing.title,
      pages: listing.pages,
      items: listing.items,
      ballots: listing.ballots,
      assets: listing.assets,
      page_bytes: before.page_bytes || 0,
      pages_shape: before.pages_shape,
      refreshed_at: before.refreshed_at,
      documents: listing.documents.map(function (d) {
        var had = before.documents.find(function (b) { return b.id === d.id; });
        if (had && had.version === d.version && had.state === "downloaded") return Object.assign({}, d, { bytes: had.bytes, state: "downloaded" });
        // A newer version: the last one downloaded stays readable (and listed as outdated) until the new
        // one is in.
        var previous = had && (had.state === "downloaded" ? had : had.previous);
        return Object.assign({}, d, { bytes: previous ? previous.bytes : 0, state: "updating", previous: previous });
      }),
    };
    await store.put("packages", pkg);
    tellWorker("packages");
    render();
    var cache = await caches.open(store.CACHE);
    try {
      await keepAll(cache, await missing(cache, pkg.assets));
      if (stale) {
        var pageSizes = await keepAll(cache, pkg.pages);
        pkg.page_bytes = Object.keys(pageSizes).reduce(function (sum, url) { return sum + pageSizes[url]; }, 0);
        pkg.pages_shape = shape(listing);
        pkg.refreshed_at = Date.now();
      }
    } catch (error) {
      console.warn("offline copy incomplete", error);
    }
    for (var i = 0; i < pkg.documents.length; i += 1) {
      var doc = pkg.documents[i];
      if (doc.state === "downloaded" && !stale) continue;
      try {
        var sizes = await keepAll(cache, doc.state === "downloaded" ? [doc.annotations_url] : [doc.viewer_url, doc.file_url, doc.annotations_url]);
        if (doc.state !== "downloaded") doc.bytes = sizes[doc.viewer_url] + sizes[doc.file_url] + sizes[doc.annotations_url];
        doc.state = "downloaded";
        delete doc.previous;
      } catch (error) {
        console.warn("paper not downloaded", doc.id, error);
        doc.state = doc.previous ? "outdated" : "failed";
      }
      await store.put("packages", pkg);
      render();
    }
    await store.put("packages", pkg);
    await prune();
    render();
  }

  // Deletes from the device every copy no downloaded meeting lists any more.
  async function prune() {
    var packages = await store.all("packages");
    tellWorker("packages");
    if (!packages.length) {
      await caches.delete(store.CACHE);
      return;
    }
    var wanted = new Set();
    packages.forEach(function (pkg) {
      store.urlsOf(pkg).concat(pkg.assets || []).forEach(function (url) { wanted.add(new URL(url, location.href).href); });
      pkg.documents.forEach(function (d) {
        if (d.previous) [d.previous.viewer_url, d.previous.file_url, d.previous.annotations_url].forEach(function (url) { wanted.add(new URL(url, location.href).href); });
      });
    });
    var cache = await caches.open(store.CACHE);
    var keys = await cache.keys();
    await Promise.all(keys.filter(function (r) { return !wanted.has(r.url); }).map(function (r) { return cache.delete(r); }));
  }

  async function removePackage(meetingId) {
    await store.remove("packages", meetingId);
    await prune();
    render();
  }

  // --- what the member sees -------------------------------------------------------------------------

  var meetingNode = document.querySelector(".meeting[data-meeting-id]");
  var meetingId = meetingNode ? Number(meetingNode.getAttribute("data-meeting-id")) : null;
  var card = null;

  function buildCard() {
    var head = document.querySelector(".meeting-head");
    if (!head || !document.querySelector(".documents")) return null;
    var section = element("section", "card offline-card");
    section.setAttribute("aria-labelledby", "offline-heading");
    var title = element("h2", null, strings.heading);
    title.id = "offline-heading";
    var summary = element("p", "offline-summary");
    summary.setAttribute("role", "status");
    var actions = element("div", "toolbar");
    var download = element("button", "primary offline-download", strings.download);
    download.type = "button";
    var remove = element("button", "danger-outline offline-remove", strings.remove);
    remove.type = "button";
    download.addEventListener("click", function () {
      download.disabled = true;
      summary.textContent = strings.downloading;
      sync(meetingId, true).finally(function () {
        download.disabled = false;
        render(); // offline, nothing was fetched: the card says again what the device holds
      });
    });
    remove.addEventListener("click", function () {
      if (window.confirm(strings.removeConfirm)) removePackage(meetingId);
    });
    actions.appendChild(download);
    actions.appendChild(remove);
    section.appendChild(title);
    section.appendChild(summary);
    section.appendChild(actions);
    head.insertAdjacentElement("afterend", section);
    return section;
  }

  function docLinks(documentId) {
    return Array.prototype.filter.call(document.querySelectorAll(".documents a[href]"), function (a) {
      var match = /^\/documents\/(\d+)$/.exec(new URL(a.href).pathname);
      return match && Number(match[1]) === documentId;
    });
  }

  async function render() {
    if (!meetingId) return;
    card = card || buildCard();
    if (!card) return;
    var pkg = await store.get("packages", meetingId);
    var summary = card.querySelector(".offline-summary");
    card.querySelector(".offline-remove").hidden = !pkg;
    card.querySelector(".offline-download").textContent = pkg ? strings.update : strings.download;
    document.querySelectorAll(".offline-doc").forEach(function (node) { node.remove(); });
    if (!pkg) {
      summary.textContent = strings.notDownloaded;
      return;
    }
    var total = pkg.page_bytes || 0;
    var ready = 0;
    pkg.documents.forEach(function (doc) {
      total += doc.bytes || 0;
      if (doc.state === "downloaded") ready += 1;
      var text = strings[doc.state] + (doc.bytes ? " · " + sizeOf(doc.bytes) : "");
      docLinks(doc.id).forEach(function (link) {
        var badge = element("span", "offline-doc", text);
        badge.setAttribute("data-state", doc.state);
        link.insertAdjacentElement("afterend", badge);
      });
    });
    summary.textContent = fill(strings.summary, { ready: ready, count: pkg.documents.length, size: sizeOf(total) });
  }

  // What waits in the outbox, what the server refused, and whether the network is there.
  var bar = element("div", "offline-bar");
  bar.setAttribute("role", "status");
  bar.hidden = true;
  var conflicts = element("div", "offline-conflicts");
  conflicts.setAttribute("role", "alert");
  conflicts.hidden = true;

  function titleOf(conflict) {
    return conflict.title || strings["untitled_" + conflict.kind] || "";
  }

  function reasonOf(conflict) {
    if (conflict.status === 409) return strings.conflictClosed;
    if (conflict.status === 404 || conflict.status === 403) return strings.conflictGone;
    return fill(strings.conflictRefused, { message: conflict.message || conflict.status });
  }

  // A position stated offline shows as chosen on the meeting page kept on the device, marked as waiting.
  function showWaitingPositions(entries) {
    entries.forEach(function (entry) {
      if (entry.kind !== "position") return;
      var chosen = JSON.parse(entry.body).position;
      var box = document.getElementById("position-" + entry.ref);
      if (!box) return;
      box.querySelectorAll("button[name=position]").forEach(function (button) {
        var on = button.value === chosen;
        button.classList.toggle("chosen", on);
        button.setAttribute("aria-pressed", on ? "true" : "false");
      });
      if (!box.querySelector(".offline-waiting")) box.appendChild(element("p", "offline-waiting hint", strings.waitingHere));
    });
  }

  // Answers to a ballot given offline fill its form again on the copy of the page, marked as waiting.
  function showWaitingAnswers(entries) {
    var form = document.getElementById("ballot-form");
    var config = document.getElementById("ballot-config");
    if (!form || !config) return;
    var responseUrl = JSON.parse(config.textContent).responseUrl;
    var entry = entries.filter(function (e) { return e.kind === "ballot" && e.url === responseUrl; }).pop();
    var state = document.getElementById("saved-state");
    if (!entry || !state || state.getAttribute("data-state") === "queued") return;
    JSON.parse(entry.body).answers.forEach(function (answer) {
      var choice = form.querySelector('input[name="choice-' + answer.question_id + '"][value="' + answer.choice + '"]');
      if (choice) choice.checked = true;
      var comment = form.querySelector('textarea[name="comment-' + answer.question_id + '"]');
      if (comment) comment.value = answer.comment || "";
    });
    state.setAttribute("data-state", "queued");
    state.textContent = strings.waitingHere;
  }

  async function showOutbox() {
    var entries = await store.all("outbox").catch(function () { return []; });
    var waiting = entries.length;
    showWaitingPositions(entries);
    showWaitingAnswers(entries);
    if (!waiting) document.querySelectorAll(".offline-waiting").forEach(function (note) { note.remove(); });
    var refused = await store.all("conflicts").catch(function () { return []; });
    var parts = [];
    if (!navigator.onLine) parts.push(strings.offline);
    if (waiting) parts.push(fill(strings.waiting, { count: waiting }));
    bar.textContent = parts.join(" ");
    bar.hidden = !parts.length;
    document.body.classList.toggle("with-offline-bar", !bar.hidden);
    conflicts.textContent = "";
    conflicts.hidden = !refused.length;
    if (!refused.length) return;
    conflicts.appendChild(element("strong", null, strings.conflictHeading));
    var list = element("ul");
    refused.forEach(function (c) {
      list.appendChild(element("li", null, fill(strings["kind_" + c.kind], { title: titleOf(c) }) + " — " + reasonOf(c)));
    });
    conflicts.appendChild(list);
    var seen = element("button", "small", strings.conflictSeen);
    seen.type = "button";
    seen.addEventListener("click", function () {
      Promise.all(refused.map(function (c) { return store.remove("conflicts", c.seq); })).then(showOutbox);
    });
    conflicts.appendChild(seen);
  }

  function tellWorker(type) {
    return navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: type });
    });
  }

  function flush() {
    tellWorker("flush");
  }

  // --- wiring -------------------------------------------------------------------------------------------

  navigator.serviceWorker.register(script.getAttribute("data-sw-url"), { scope: "/" }).catch(function (error) {
    console.warn("offline reading unavailable", error);
  });
  navigator.serviceWorker.addEventListener("message", function (event) {
    var type = event.data && event.data.type;
    if (type === "wiped") window.ecabinet.wiped();
    if (type === "outbox") showOutbox();
  });

  var main = document.getElementById("content") || document.body;
  main.insertBefore(conflicts, main.firstChild);
  document.body.appendChild(bar);

  window.addEventListener("online", function () {
    showOutbox();
    flush();
    store.all("packages").then(function (packages) {
      packages.forEach(function (pkg) { sync(pkg.meeting_id, false); });
    });
  });
  window.addEventListener("offline", showOutbox);

  // Logging out leaves nothing of the meetings on the device; what is not sent yet is asked about.
  document.querySelectorAll('form[action="' + LOGOUT + '"]').forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      store.count("outbox").catch(function () { return 0; }).then(function (waiting) {
        if (waiting && !window.confirm(fill(strings.logoutUnsent, { count: waiting }))) return;
        store.forget().then(function () { form.submit(); });
      });
    });
  });

  // What another member left on this tablet (their session ended without a logout) is theirs alone:
  // it goes before anything of it is shown or sent.
  var user = Number(script.getAttribute("data-offline-user"));
  store
    .get("meta", "owner")
    .then(function (owner) {
      if (owner && owner.value !== user) return store.forget();
    })
    .then(function () { return store.put("meta", { key: "owner", value: user }); })
    .then(function () {
      showOutbox();
      flush();
      tellWorker("packages"); // after a logout or another member's login, the worker's view is stale
      return render();
    })
    .then(function () {
      if (!navigator.onLine) return;
      return store.all("packages").then(function (packages) {
        return Promise.all(packages.map(function (pkg) { return sync(pkg.meeting_id, false); }));
      });
    });
})();
