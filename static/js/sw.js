// The installable app's service worker, served at /sw.js (ecabinet/offline/views.py) so that it
// controls every page. Plain script, no build step, no library.
//
// What it does, and only for what the member downloaded ("Tải về để đọc ngoại tuyến", see
// static/js/offline.js and GET /api/v1/meetings/<id>/offline):
// - Reading: every GET goes to the network first, so that an online member always sees the server's
//   state; when the network is away, the copy downloaded for offline reading answers. A version's PDF
//   never changes and is answered from the device at once. What the server answers online refreshes
//   the copy kept (an agenda, an annotation list); what it refuses (404, 403) is deleted from the device.
// - Writing: a change the network cannot carry — an annotation made, changed or deleted on a paper
//   kept offline, an answer to a ballot kept offline, a position on an item kept offline — is kept
//   in the outbox (IndexedDB) and the page is told it was kept (header X-Ecabinet-Queued). While the
//   outbox holds anything, later changes queue behind it, so that the server receives them in the
//   order they were made. They are sent, one at a time, at the next contact; each carries its
//   client_id (an annotation's from the viewer, a ballot answer's given here), so a change sent twice
//   is recorded once. A change the server refuses is kept as a conflict for the member to read.
// - A wiped device (401 device_wiped) forgets everything here too.
// Anything else (other pages' writes, socket.io) passes untouched, as without a worker.
"use strict";

importScripts("/static/js/offline-store.js");

var store = self.ecabinetOffline;

var FILE = /^\/api\/v1\/documents\/(\d+)\/file$/;
var ANNOTATIONS = /^\/api\/v1\/documents\/(\d+)\/annotations$/;
var ANNOTATION = /\/annotations\/(-?\d+)$/;
var QUEUED = "X-Ecabinet-Queued";

// The changes that wait in the outbox while the network is away, and what must be kept offline for
// them to wait: the paper annotated, the ballot answered, the item whose position is stated.
var WRITES = [
  { method: "POST", path: /^\/api\/v1\/documents\/(\d+)\/annotations$/, kind: "annotation", covers: "document" },
  { method: "PATCH", path: /^\/api\/v1\/annotations\/(-?\d+)$/, kind: "annotation", covers: "annotation" },
  { method: "DELETE", path: /^\/api\/v1\/annotations\/(-?\d+)$/, kind: "annotation", covers: "annotation" },
  { method: "PUT", path: /^\/api\/v1\/ballots\/(\d+)\/response$/, kind: "ballot", covers: "ballot" },
  { method: "PUT", path: /^\/api\/v1\/agenda\/(\d+)\/position$/, kind: "position", covers: "item" },
  // The meeting page's position buttons post a form: kept as the API call it stands for.
  { method: "POST", path: /^\/agenda\/(\d+)\/position$/, kind: "position", covers: "item", form: true },
];

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim().then(flush));
});

// Whether anything was downloaded, as last read from the database (null: not read yet since the
// worker started). With nothing downloaded the worker stays out of the way of everything but page
// loads, whose answer it must be able to give after a restart while offline.
var downloaded = null;

function reread() {
  return store.all("packages").then(
    function (packages) { downloaded = packages.length > 0; },
    function () { downloaded = false; }
  );
}
reread();

self.addEventListener("message", function (event) {
  var type = event.data && event.data.type;
  if (type === "flush") event.waitUntil(flush());
  if (type === "packages") event.waitUntil(reread());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/socket.io/") === 0) return;
  if (downloaded === false && request.mode !== "navigate") return;
  if (request.method === "GET") {
    event.respondWith(read(request, url));
    return;
  }
  var write = writeOf(request.method, url.pathname);
  if (write) event.respondWith(send(request, url, write));
});

function writeOf(method, path) {
  for (var i = 0; i < WRITES.length; i += 1) {
    var match = WRITES[i].path.exec(path);
    if (WRITES[i].method === method && match) return Object.assign({ ref: Number(match[1]) }, WRITES[i]);
  }
  return null;
}

// (caches.match, not caches.open: looking must not create the cache again after a logout or a wipe.)
function kept(request, options) {
  return caches.match(request, Object.assign({ cacheName: store.CACHE, ignoreVary: true }, options));
}

function json(body, status, extra) {
  var headers = Object.assign({ "Content-Type": "application/json" }, extra || {});
  return new Response(JSON.stringify(body), { status: status, headers: headers });
}

// --- reading ----------------------------------------------------------------------------------------

async function read(request, url) {
  if (FILE.test(url.pathname) && url.searchParams.has("version")) {
    // Whole, by its address: PDF.js then reads it at once and asks for no byte ranges.
    var pdf = await kept(request.url);
    if (pdf) return pdf;
  }
  var response;
  try {
    response = await fetch(request);
  } catch (error) {
    var copy = (await kept(request)) || (request.mode === "navigate" ? await kept(request, { ignoreSearch: true }) : null);
    if (!copy) throw error;
    return withOutbox(url, copy);
  }
  await afterContact(request, response.clone());
  return withOutbox(url, response);
}

// What an answer from the server tells the device: a fresher copy of what it keeps, something it
// must no longer keep, a wipe; and that the network is back, so the outbox can go.
async function afterContact(request, response) {
  if (response.status === 401) {
    if (await toldWiped(response)) await wipe();
    return;
  }
  if ((response.status === 404 || response.status === 403 || response.status === 410) && (await kept(request.url))) {
    await (await caches.open(store.CACHE)).delete(request.url, { ignoreVary: true });
  } else if (response.status === 200 && response.type === "basic" && !response.redirected) {
    var type = response.headers.get("Content-Type") || "";
    if (request.mode === "navigate" && type.indexOf("text/html") === 0) {
      await rememberToken(response.clone());
    }
    if (await kept(request.url)) {
      await (await caches.open(store.CACHE)).put(request.url, response);
    }
  }
  if (await store.count("outbox")) flush();
}

function toldWiped(response) {
  return response.clone().json().then(
    function (body) { return Boolean(body && body.error && body.error.code === "device_wiped"); },
    function () { return false; }
  );
}

// The outbox is sent with the newest CSRF token a page was served with (the session's own), and only
// while the member who made the changes is the one logged in, as the newest page says.
async function rememberToken(response) {
  var html = await response.text();
  var token = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
  if (token) await store.put("meta", { key: "csrf", value: token[1] });
  var user = /data-offline-user="(\d+)"/.exec(html);
  if (user) await store.put("meta", { key: "user", value: Number(user[1]) });
}

async function loggedIn() {
  return ((await store.get("meta", "user")) || {}).value;
}

async function wipe() {
  await store.forget();
  var pages = await self.clients.matchAll({ type: "window" });
  pages.forEach(function (page) { page.postMessage({ type: "wiped" }); });
}

// --- annotations made offline, as the viewer reads them -----------------------------------------------

async function idMap() {
  return ((await store.get("meta", "ids")) || { map: {} }).map;
}

function annotationOf(entry) {
  var body = JSON.parse(entry.body);
  return Object.assign({ shared: false, rects: null, paths: null, text: null, quote: null }, body, {
    id: entry.temp,
    document_id: entry.ref,
    mine: true,
    author: { id: null, full_name: "" },
    queued: true,
  });
}

// The server's list (or the copy kept of it) with the changes still in the outbox applied.
function applyOutbox(list, entries, ids, documentId, version) {
  entries.forEach(function (entry) {
    if (entry.kind !== "annotation" || entry.document !== documentId) return;
    var body = entry.body ? JSON.parse(entry.body) : {};
    if (entry.method === "POST") {
      var known = list.some(function (a) { return a.client_id && a.client_id === body.client_id; });
      if (!known && (!version || body.version === version)) list.push(annotationOf(entry));
      return;
    }
    var id = Number(ANNOTATION.exec(entry.url)[1]);
    var real = ids[id] || id;
    var index = list.findIndex(function (a) { return a.id === id || a.id === real; });
    if (index < 0) return;
    if (entry.method === "DELETE") list.splice(index, 1);
    else Object.assign(list[index], body);
  });
  return list;
}

async function withOutbox(url, response) {
  var match = ANNOTATIONS.exec(url.pathname);
  if (!match || !response.ok) return response;
  var entries = await store.all("outbox");
  if (!entries.length) return response;
  var list = applyOutbox(await response.clone().json(), entries, await idMap(), Number(match[1]),
    Number(url.searchParams.get("version")) || null);
  return json(list, response.status);
}

// Which paper an annotation is on: one made offline says so in the outbox; another is found in the
// lists kept of the downloaded papers.
async function documentOf(annotationId) {
  var entries = await store.all("outbox");
  var made = entries.find(function (e) { return e.temp === annotationId; });
  if (made) return made.ref;
  var ids = await idMap();
  var real = annotationId < 0 ? ids[annotationId] : annotationId;
  var packages = await store.all("packages");
  for (var p = 0; p < packages.length; p += 1) {
    for (var d = 0; d < packages[p].documents.length; d += 1) {
      var doc = packages[p].documents[d];
      var copy = await kept(doc.annotations_url);
      var list = copy ? await copy.json().catch(function () { return []; }) : [];
      if (list.some(function (a) { return a.id === real; })) return doc.id;
    }
  }
  return null;
}

// --- writing ------------------------------------------------------------------------------------------

async function covered(write) {
  if (write.covers === "annotation") {
    var documentId = await documentOf(write.ref);
    return documentId !== null && (await store.covering("document", documentId)) ? documentId : null;
  }
  return (await store.covering(write.covers, write.ref)) ? write.ref : null;
}

async function send(request, url, write) {
  var documentId = await covered(write);
  if (documentId === null) return fetch(request);
  var body = await request.clone().text();
  var ids = await idMap();
  var unmapped = write.ref < 0 && !ids[write.ref];
  if (!unmapped && !(await store.count("outbox"))) {
    var target = write.ref < 0 ? new Request(url.pathname.replace(ANNOTATION, "/annotations/" + ids[write.ref]), request) : request;
    try {
      var response = await fetch(target);
      if (response.status === 401 && (await toldWiped(response))) await wipe();
      return response;
    } catch (error) {
      // The network is away: kept below, answered as kept.
    }
  }
  var entry = await keep(request, url, write, body, documentId);
  flush();
  return answerKept(request, entry);
}

function clientId() {
  return Array.prototype.map
    .call(self.crypto.getRandomValues(new Uint8Array(16)), function (b) { return (b < 16 ? "0" : "") + b.toString(16); })
    .join("");
}

async function keep(request, url, write, body, documentId) {
  var entry = {
    kind: write.kind,
    method: request.method,
    url: url.pathname,
    body: body || null,
    csrf: request.headers.get("X-CSRFToken"),
    // Whose change it is: the member whose page made it (offline.js names them on every page).
    user: ((await store.get("meta", "owner")) || {}).value,
    ref: write.ref,
    document: write.kind === "annotation" ? documentId : null,
    at: new Date().toISOString(),
  };
  if (write.form) {
    var form = new URLSearchParams(body);
    entry.method = "PUT";
    entry.url = "/api/v1/agenda/" + write.ref + "/position";
    entry.body = JSON.stringify({ position: form.get("position"), comment: form.get("comment") || null });
    entry.csrf = form.get("csrf_token");
    entry.back = request.referrer || "/meetings";
  }
  if (write.kind === "ballot") {
    // The answer's own id: sent again after a lost answer, it is recognised, not applied twice.
    var answer = JSON.parse(body);
    answer.client_id = answer.client_id || clientId();
    entry.body = JSON.stringify(answer);
  }
  // Named as the member knows it while it is still listed: a refusal may come once it no longer is.
  entry.title = await titleOf(entry);
  if (write.kind === "annotation" && request.method === "POST") {
    var counter = (await store.get("meta", "temp")) || { key: "temp", value: 0 };
    counter.value -= 1;
    await store.put("meta", counter);
    entry.temp = counter.value; // an id below zero until the server gives it one
  }
  entry.seq = await store.put("outbox", entry);
  return entry;
}

async function answerKept(request, entry) {
  var headers = {};
  headers[QUEUED] = "1";
  if (entry.back) return new Response(null, { status: 303, headers: Object.assign({ Location: entry.back }, headers) });
  if (entry.kind === "annotation" && entry.method === "POST") return json(annotationOf(entry), 201, headers);
  if (entry.method === "DELETE") return new Response(null, { status: 204, headers: headers });
  if (entry.kind === "annotation") {
    var id = Number(ANNOTATION.exec(entry.url)[1]);
    var now = await localAnnotation(entry.document, id);
    return json(Object.assign({ id: id }, now, JSON.parse(entry.body), { queued: true }), 200, headers);
  }
  return json(Object.assign({ queued: true }, JSON.parse(entry.body)), 202, headers);
}

async function localAnnotation(documentId, id) {
  var packages = await store.all("packages");
  for (var p = 0; p < packages.length; p += 1) {
    var doc = packages[p].documents.find(function (d) { return d.id === documentId; });
    var copy = doc && (await kept(doc.annotations_url));
    if (!copy) continue;
    var list = applyOutbox(await copy.json(), await store.all("outbox"), await idMap(), documentId, null);
    var found = list.find(function (a) { return a.id === id; });
    if (found) return found;
  }
  return {};
}

// --- sending the outbox -----------------------------------------------------------------------------

var flushing = null;

function flush() {
  if (!flushing) {
    flushing = drain()
      .catch(function (error) { console.warn("outbox not sent", error); })
      .then(function () {
        flushing = null;
        return tell({ type: "outbox" });
      });
  }
  return flushing;
}

async function tell(message) {
  var pages = await self.clients.matchAll({ type: "window" });
  pages.forEach(function (page) { page.postMessage(message); });
}

async function drain() {
  for (;;) {
    var entry = await store.first("outbox");
    // Another member logged in on this tablet: nothing of the first goes out in their name (the page
    // then clears what the first one left, offline.js).
    if (!entry) return;
    var current = await loggedIn();
    if (entry.user && current && entry.user !== current) return;
    var ids = await idMap();
    var url = entry.url.replace(ANNOTATION, function (whole, id) {
      return ids[id] ? "/annotations/" + ids[id] : whole;
    });
    if (/\/annotations\/-\d+$/.test(url)) {
      // Its creation never reached the server (refused, and shown to the member as a conflict).
      await settle(entry, { status: 404, code: "not_found", message: "" });
      continue;
    }
    var token = ((await store.get("meta", "csrf")) || {}).value || entry.csrf;
    var response;
    try {
      response = await fetch(url, {
        method: entry.method,
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": token || "" },
        body: entry.body,
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      return; // still away: at the next contact
    }
    if (response.status === 401) {
      if (await toldWiped(response)) await wipe();
      return; // logged out: sent once the member has logged in again
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) return;
    var answer = response.status === 204 ? null : await response.json().catch(function () { return null; });
    var error = (answer && answer.error) || {};
    // A token from before the member logged in again: wait for a page with the session's own.
    if (response.status === 400 && /CSRF/.test(error.message || "")) return;
    if (response.ok || (entry.method === "DELETE" && response.status === 404)) {
      if (entry.temp && answer && answer.id) {
        var map = await idMap();
        map[entry.temp] = answer.id;
        await store.put("meta", { key: "ids", map: map });
      }
      await store.remove("outbox", entry.seq);
    } else {
      await settle(entry, { status: response.status, code: error.code || "", message: error.message || "" });
    }
    await tell({ type: "outbox" });
  }
}

// What the member knows the change by: the paper, the ballot or the agenda item it was about.
async function titleOf(entry) {
  var packages = await store.all("packages");
  for (var p = 0; p < packages.length; p += 1) {
    var pkg = packages[p];
    var found =
      entry.kind === "annotation" ? pkg.documents.find(function (d) { return d.id === entry.document; })
      : entry.kind === "ballot" ? pkg.ballots.find(function (b) { return b.id === entry.ref; })
      : pkg.items.find(function (i) { return i.id === entry.ref; });
    if (found) return found.title;
  }
  return "";
}

// A change the server refused: out of the outbox, into the conflicts the member is shown.
async function settle(entry, refusal) {
  await store.put("conflicts", {
    title: entry.title || (await titleOf(entry)),
    kind: entry.kind,
    method: entry.method,
    ref: entry.ref,
    document: entry.document,
    status: refusal.status,
    code: refusal.code,
    message: refusal.message,
    at: new Date().toISOString(),
  });
  await store.remove("outbox", entry.seq);
}
