// The secretariat's document tools on the meeting page (templates/documents/_manage.html):
// several PDFs uploaded at once, each under the title typed for it, with its own progress bar and the
// server's verdict (too large, not a PDF, encrypted…, in the page's language), new versions,
// retitling and removal through /api/v1.
(function () {
  "use strict";

  var strings = JSON.parse((document.getElementById("documents-admin-strings") || {}).textContent || "{}");

  // Why an upload failed: the server's own words (not a PDF, encrypted…, in the page's language), else,
  // when a proxy in between answered instead (nginx's 413), the page's.
  function refusal(error) {
    if (error.status === 0) return strings.network || "Network error";
    if (error.details.message) return error.details.message;
    return error.status === 413 ? strings.tooLarge || "Too large" : strings.failed || "Failed";
  }

  // One file, one request (multipart, field `file`, and `title` when typed), one progress bar;
  // resolves when answered.
  function send(url, file, list, title) {
    var row = document.createElement("li");
    var label = document.createElement("span");
    var bar = document.createElement("progress");
    label.textContent = (title || file.name) + " ";
    bar.max = 100;
    bar.value = 0;
    row.appendChild(label);
    row.appendChild(bar);
    list.appendChild(row);
    var form = new FormData();
    form.append("file", file, file.name);
    if (title) form.append("title", title);
    function answered(ok, text) {
      row.className = ok ? "ok" : "error";
      row.appendChild(document.createTextNode((ok ? " ✓ " : " ✗ ") + text));
      return ok;
    }
    return window.ecabinet
      .upload(url, form, function (done) {
        bar.value = Math.round(done * 100);
      })
      .then(
        function () {
          bar.value = 100;
          return answered(true, strings.done || "Uploaded");
        },
        function (error) {
          if (error.status) bar.value = 100;
          return answered(false, refusal(error));
        }
      );
  }

  function uploadAll(files, url, list, titles) {
    // One after the other: a tablet on a meeting-room network does better with one upload at a time.
    var results = [];
    return Array.prototype.reduce
      .call(files, function (chain, file, index) {
        return chain.then(function () {
          return send(url, file, list, titles && titles[index]).then(function (ok) {
            results.push(ok);
          });
        });
      }, Promise.resolve())
      .then(function () {
        if (results.some(Boolean)) window.setTimeout(function () { window.location.reload(); }, 800);
      });
  }

  // The title the server would give: the file's name without ".pdf" (documents.service._title_from).
  function defaultTitle(name) {
    return name.replace(/\.pdf$/i, "") || name;
  }

  // The chosen files wait under their titles, the file's name filled in, until "Upload".
  function hold(box, files) {
    var pending = box.querySelector(".upload-pending");
    var rows = pending.querySelector(".pending-files");
    pending.chosen = Array.prototype.slice.call(files);
    rows.textContent = "";
    pending.chosen.forEach(function (file) {
      var row = document.createElement("li");
      var label = document.createElement("label");
      var title = document.createElement("input");
      var name = document.createElement("small");
      label.textContent = strings.title || "Title";
      title.className = "pending-title";
      title.maxLength = 500;
      title.value = defaultTitle(file.name);
      name.className = "muted";
      name.textContent = file.name;
      label.appendChild(title);
      row.appendChild(label);
      row.appendChild(name);
      rows.appendChild(row);
    });
    pending.hidden = false;
    rows.querySelector("input").focus();
  }

  function release(pending) {
    pending.hidden = true;
    pending.chosen = [];
    pending.querySelector(".pending-files").textContent = "";
  }

  // The members' notes carried onto a new version by a job worker: followed every two seconds
  // (GET /api/v1/documents/<id>, `version.notes_carry`) until done.
  function followCarry(line) {
    var url = line.closest(".doc-admin-row").dataset.documentUrl;
    var timer = window.setInterval(function () {
      window.ecabinet.api("GET", url)
        .then(function (paper) {
          var carry = paper.version.notes_carry;
          if (!carry) return window.clearInterval(timer);
          var status = carry.status === "queued" ? "running" : carry.status;
          line.dataset.status = carry.status;
          line.textContent = line.dataset[status].replace(/\{(\w+)\}/g, function (_, key) {
            return String(carry[key]);
          });
          if (status !== "running") window.clearInterval(timer);
        })
        .catch(function () { window.clearInterval(timer); });
    }, 2000);
  }
  Array.prototype.forEach.call(
    document.querySelectorAll('.doc-carry[data-status="queued"], .doc-carry[data-status="running"]'),
    followCarry
  );

  document.addEventListener("change", function (event) {
    var input = event.target;
    var box = input.closest(".doc-admin");
    if (!box || !input.files || !input.files.length) return;
    var list = box.querySelector(".upload-progress");
    if (input.dataset.action === "upload") hold(box, input.files);
    if (input.dataset.action === "version") {
      uploadAll([input.files[0]], input.closest(".doc-admin-row").dataset.versionUrl, list);
    }
    input.value = "";
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    var pending = button && button.closest(".upload-pending");
    if (pending) {
      var box = pending.closest(".doc-admin");
      var files = pending.chosen || [];
      var titles = Array.prototype.map.call(pending.querySelectorAll(".pending-title"), function (input) {
        return input.value.trim();
      });
      release(pending);
      if (button.dataset.action === "send" && files.length) {
        uploadAll(files, box.dataset.uploadUrl, box.querySelector(".upload-progress"), titles);
      }
      return;
    }
    var row = button && button.closest(".doc-admin-row");
    if (!row) return;
    var url = row.dataset.documentUrl;
    if (button.dataset.action === "retitle") {
      window.ecabinet.api("PATCH", url, { title: row.querySelector(".doc-title").value })
        .then(function () { window.location.reload(); })
        .catch(function (error) { window.alert(error.message); });
    }
    if (button.dataset.action === "remove" && window.confirm(button.dataset.confirm)) {
      window.ecabinet.api("DELETE", url)
        .then(function () { window.location.reload(); })
        .catch(function (error) { window.alert(error.message); });
    }
  });
})();
