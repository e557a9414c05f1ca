// What the tablet keeps for reading offline, shared by the service worker (static/js/sw.js, through
// importScripts) and the pages (static/js/offline.js): one IndexedDB database and one Cache Storage
// cache. Plain script, no build step; it defines self.ecabinetOffline.
//
// - packages: one per meeting the member downloaded — what the server listed for them
//   (GET /api/v1/meetings/<id>/offline) and how much of it is on the device.
// - outbox: the member's changes made while the network was away (annotations, ballot answers,
//   positions), in the order they were made; the service worker sends them in that order.
// - conflicts: changes the server refused when they were sent at last (a ballot closed meanwhile, a
//   paper removed): shown to the member until they have read them, never dropped silently.
// - meta: the ids the server gave to annotations made offline, and the latest CSRF token.
(function (scope) {
  "use strict";

  var DB_NAME = "ecabinet-offline";
  var CACHE = "ecabinet-offline-v1";
  var STORES = ["packages", "outbox", "conflicts", "meta"];
  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = scope.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("packages", { keyPath: "meeting_id" });
          db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          db.createObjectStore("conflicts", { keyPath: "seq", autoIncrement: true });
          db.createObjectStore("meta", { keyPath: "key" });
        };
        request.onsuccess = function () {
          var db = request.result;
          // A wipe or a logout deletes the database: let it, and open afresh next time.
          db.onversionchange = function () {
            db.close();
            opening = null;
          };
          resolve(db);
        };
        request.onerror = function () {
          opening = null;
          reject(request.error);
        };
      });
    }
    return opening;
  }

  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function store(name, mode) {
    return open().then(function (db) {
      return db.transaction(name, mode || "readonly").objectStore(name);
    });
  }

  function all(name) {
    return store(name).then(function (s) { return done(s.getAll()); });
  }

  function get(name, key) {
    return store(name).then(function (s) { return done(s.get(key)); });
  }

  function put(name, value) {
    return store(name, "readwrite").then(function (s) { return done(s.put(value)); });
  }

  function remove(name, key) {
    return store(name, "readwrite").then(function (s) { return done(s.delete(key)); });
  }

  function count(name) {
    return store(name).then(function (s) { return done(s.count()); });
  }

  function first(name) {
    return store(name).then(function (s) {
      return done(s.openCursor()).then(function (cursor) { return cursor ? cursor.value : null; });
    });
  }

  // Everything the app keeps for offline use, gone: the database and the cache.
  function forget() {
    var jobs = [];
    if (scope.caches) jobs.push(scope.caches.delete(CACHE));
    jobs.push(
      open().then(
        function (db) {
          db.close();
          opening = null;
          return new Promise(function (resolve) {
            var request = scope.indexedDB.deleteDatabase(DB_NAME);
            request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
          });
        },
        function () {}
      )
    );
    return Promise.all(jobs.map(function (job) { return job.catch(function () {}); }));
  }

  // The addresses a package keeps: its pages, each document's viewer, file and annotations.
  function urlsOf(pkg) {
    var urls = (pkg.pages || []).slice();
    (pkg.documents || []).forEach(function (d) {
      urls.push(d.viewer_url, d.file_url, d.annotations_url);
    });
    return urls;
  }

  // Which package covers a change: the document's, the ballot's or the agenda item's.
  function covering(kind, id) {
    return all("packages").then(function (packages) {
      return packages.some(function (pkg) {
        if (kind === "document") return pkg.documents.some(function (d) { return d.id === id; });
        if (kind === "ballot") return pkg.ballots.some(function (b) { return b.id === id; });
        if (kind === "item") return pkg.items.some(function (i) { return i.id === id; });
        return false;
      });
    });
  }

  scope.ecabinetOffline = {
    DB_NAME: DB_NAME,
    CACHE: CACHE,
    STORES: STORES,
    all: all,
    get: get,
    put: put,
    remove: remove,
    count: count,
    first: first,
    forget: forget,
    urlsOf: urlsOf,
    covering: covering,
  };
})(self);
