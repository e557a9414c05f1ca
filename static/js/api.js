// The pages' one way to call /api/v1, as tablets do (loaded by base.html after app.js, before any page's
// own script). It adds to window.ecabinet:
//
//   ecabinet.api(method, url, body)            → a promise of the answer's JSON (null for 204 No Content)
//   ecabinet.upload(url, formData, onProgress) → the same for a multipart upload, with its progress
//                                                (XMLHttpRequest: fetch cannot report an upload's progress)
//   ecabinet.serverNow()                       → the server's time, as its answers' Date headers tell it
//
// Both reject with an ApiError {status, code, message, details} made from the contract's
// {"error": {"code", "message", …}}, or with status 0 and code "network" when the server was not reached.
//
// The login cookie authenticates these calls, so every call that can change something carries the
// page's CSRF token (the <meta name="csrf-token"> base.html writes) in the X-CSRFToken header.
(function () {
  "use strict";

  // `details`: the whole error object (e.g. the newer text a stale save met, the vote still open).
  function ApiError(status, code, message, details) {
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.message = message;
    this.details = details || {};
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  function networkError() {
    return new ApiError(0, "network", "No connection");
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function headers(method, json) {
    var sent = { Accept: "application/json" };
    if (method !== "GET") sent["X-CSRFToken"] = csrfToken();
    if (json) sent["Content-Type"] = "application/json";
    return sent;
  }

  // An answer's body as the caller gets it: the JSON of a success (null when there is none, as with
  // 204), else an ApiError from the contract's error object, or from the status alone when a proxy in
  // between answered with something else (nginx's HTML 413).
  function outcome(status, statusText, text) {
    var data;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = undefined;
    }
    if (status >= 200 && status < 300) return data === undefined ? null : data;
    var error = (data && data.error) || {};
    throw new ApiError(status, error.code || "http_" + status, error.message || statusText, error);
  }

  // --- the server's clock ---------------------------------------------------------------------
  // Deadlines and speakers' timers count from the server's times; a tablet's own clock may be minutes
  // off on a closed network. Each answer's Date header (whole seconds) tells us roughly how far: half a
  // second either way, so the estimate moves only when it is clearly wrong and timers do not jitter.

  var clockOffset = 0;
  var clockKnown = false;

  function learnClock(header) {
    var server = header ? Date.parse(header) : NaN;
    if (isNaN(server)) return;
    var offset = server + 500 - Date.now();
    if (!clockKnown || Math.abs(offset - clockOffset) > 1500) clockOffset = offset;
    clockKnown = true;
  }

  function serverNow() {
    return Date.now() + clockOffset;
  }

  // --- calls ----------------------------------------------------------------------------------

  function api(method, url, body) {
    var json = body !== undefined && body !== null; // no body either way (a GET may not have one)
    var init = {
      method: method,
      credentials: "same-origin",
      headers: headers(method, json),
      cache: "no-store", // the API's answers are the meeting as it is now, never a stored copy
    };
    if (json) init.body = JSON.stringify(body);
    // ecabinet.fetch (app.js): asks again while the server answers 503, hears a wiped device.
    return window.ecabinet.fetch(url, init).then(
      function (response) {
        learnClock(response.headers.get("Date"));
        return response.text().then(function (text) {
          return outcome(response.status, response.statusText, text);
        }, networkError);
      },
      function () {
        throw networkError();
      }
    );
  }

  function upload(url, form, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      var sent = headers("POST", false);
      for (var name in sent) xhr.setRequestHeader(name, sent[name]);
      if (onProgress) {
        xhr.upload.onprogress = function (event) {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        };
      }
      xhr.onload = function () {
        learnClock(xhr.getResponseHeader("Date"));
        try {
          resolve(outcome(xhr.status, xhr.statusText, xhr.responseText));
        } catch (error) {
          if (error.code === "device_wiped") window.ecabinet.wiped();
          reject(error);
        }
      };
      xhr.onerror = function () {
        reject(networkError());
      };
      xhr.send(form);
    });
  }

  window.ecabinet.api = api;
  window.ecabinet.upload = upload;
  window.ecabinet.serverNow = serverNow;
})();
