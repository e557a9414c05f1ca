// The written-opinion ballot pages (templates/ballots/): countdowns, the live "new ballot" banner,
// the member's answers sent to PUT /api/v1/ballots/<id>/response, the secretariat's form, uploads and
// a dashboard whose tallies follow /api/v1/ballots/<id>/results every 15 seconds.
//
// Plain script, no build step. The page gives it #ballot-config (addresses, the server's clock, the
// office's time zone), #ballot-strings and #ballot-time-strings (every word it shows, translated).
// Each part starts only on the page that has its elements.
(function () {
  "use strict";

  var REFRESH_MS = 15000;

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  var config = readJson("ballot-config") || {};
  var strings = readJson("ballot-strings") || {};
  var timeStrings = readJson("ballot-time-strings") || {};

  // "{name}" in a translated string is where a value goes.
  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return values[name] !== undefined && values[name] !== null ? values[name] : whole;
    });
  }

  function parseTime(value) {
    if (!value) return NaN;
    // Safari parses at most three decimals of a second; the server writes microseconds.
    return Date.parse(String(value).replace(/(\.\d{3})\d+/, "$1"));
  }

  // The server's clock: a tablet on a closed network may be minutes off, the deadline is the server's.
  var clockOffset = config.now ? parseTime(config.now) - Date.now() : 0;
  if (isNaN(clockOffset)) clockOffset = 0;

  function serverNow() {
    return Date.now() + clockOffset;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // "14:05 25/11/2026" in the office's time zone, as the server writes it (views.short_time).
  function shortTime(value) {
    var time = parseTime(value);
    if (isNaN(time)) return "";
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-GB", {
        timeZone: config.timeZone,
        hourCycle: "h23",
        hour: "2-digit",
        minute: "2-digit",
        day: "2-digit",
        month: "2-digit",
        year: "numeric",
      })
        .formatToParts(new Date(time))
        .forEach(function (part) {
          parts[part.type] = part.value;
        });
      return parts.hour + ":" + parts.minute + " " + parts.day + "/" + parts.month + "/" + parts.year;
    } catch (error) {
      var d = new Date(time + 7 * 3600 * 1000); // Viet Nam keeps UTC+7 all year
      return (
        pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " " +
        pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear()
      );
    }
  }

  var api = window.ecabinet.api; // static/js/api.js

  // --- countdowns ---------------------------------------------------------------------------------

  function timeLeft(deadline, withSeconds) {
    var seconds = Math.floor((deadline - serverNow()) / 1000);
    if (seconds <= 0) return null;
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    if (days) return fill(timeStrings.leftDaysHours, { days: days, hours: hours });
    if (hours) return fill(timeStrings.leftHoursMinutes, { hours: hours, minutes: minutes });
    if (withSeconds) return fill(timeStrings.leftMinutesSeconds, { minutes: minutes, seconds: seconds % 60 });
    return fill(timeStrings.leftMinutes, { minutes: Math.max(minutes, 1) });
  }

  var deadlineListeners = [];
  var deadlinePassed = false;

  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (node) {
      var text = timeLeft(parseTime(node.getAttribute("data-deadline")), node.hasAttribute("data-seconds"));
      node.textContent = text || timeStrings.passed;
      node.classList.toggle("soon", !!text && parseTime(node.getAttribute("data-deadline")) - serverNow() < 86400000);
      node.classList.toggle("passed", !text);
    });
    if (!deadlinePassed && config.deadline && parseTime(config.deadline) <= serverNow()) {
      deadlinePassed = true;
      deadlineListeners.forEach(function (listener) {
        listener();
      });
    }
  }

  // --- a new ballot or a reminder, live (the user's own Socket.IO room) --------------------------

  function listenForBallots() {
    var news = document.getElementById("ballot-news");
    if (!news || typeof window.io !== "function") return;
    var text = news.querySelector(".ballot-news-text");
    var link = news.querySelector("a");
    var socket = window.io({ transports: ["websocket", "polling"], tryAllTransports: true });
    // Connected means in the user's own room (the server puts it there at connect).
    socket.on("connect", function () {
      news.setAttribute("data-live", "connected");
    });
    socket.on("disconnect", function () {
      news.setAttribute("data-live", "disconnected");
    });
    socket.on("event", function (event) {
      if (!event || (event.type !== "ballot.sent" && event.type !== "ballot.reminder")) return;
      var data = event.data || {};
      text.textContent = fill(event.type === "ballot.sent" ? strings.newBallot : strings.reminder, {
        title: data.title || "",
      });
      if (config.ballotPage && data.ballot_id) link.href = config.ballotPage + data.ballot_id;
      news.classList.toggle("reminder", event.type === "ballot.reminder");
      news.hidden = false;
    });
  }

  // --- the member's answers -----------------------------------------------------------------------

  function answerPage() {
    var form = document.getElementById("ballot-form");
    if (!form || !config.open) return;
    var questions = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
    var savedState = document.getElementById("saved-state");
    var formError = document.getElementById("form-error");
    var button = document.getElementById("send-answers");
    var busy = false;
    var ended = false;

    function choiceOf(question) {
      var checked = question.querySelector("input[type=radio]:checked");
      return checked ? checked.value : null;
    }

    function commentBox(question) {
      return question.querySelector("textarea");
    }

    function needsComment(choice) {
      return choice === "disagree" || choice === "other";
    }

    function setError(question, message) {
      var node = question.querySelector(".question-error");
      node.textContent = message || "";
      node.hidden = !message;
      question.classList.toggle("invalid", !!message);
    }

    function showFormError(message) {
      formError.textContent = message || "";
      formError.hidden = !message;
    }

    // The rule, said as soon as it applies: a disagreement or another opinion gives its reasons.
    function check(question, forSubmit) {
      var choice = choiceOf(question);
      if (!choice) {
        setError(question, forSubmit ? strings.chooseEvery : "");
        return !forSubmit;
      }
      question.querySelector(".comment").classList.toggle("needed", needsComment(choice));
      if (needsComment(choice) && !commentBox(question).value.trim()) {
        setError(question, strings.commentNeeded);
        return false;
      }
      setError(question, "");
      return true;
    }

    function markChanged() {
      if (savedState.getAttribute("data-state") === "saving") return;
      savedState.setAttribute("data-state", "changed");
      savedState.textContent = strings.changed;
    }

    form.addEventListener("change", function (event) {
      var question = event.target.closest("[data-question]");
      if (!question || event.target.type !== "radio") return;
      showFormError("");
      if (!check(question, false)) commentBox(question).focus();
      markChanged();
    });

    form.addEventListener("input", function (event) {
      var question = event.target.closest("[data-question]");
      if (!question || event.target.tagName !== "TEXTAREA") return;
      if (question.classList.contains("invalid")) check(question, false);
      markChanged();
    });

    function refused(error) {
      if (error.status === 0) return strings.offline;
      if (error.status === 401) return strings.loggedOut;
      if (error.code === "comment_required") return strings.commentRequired;
      if (error.status === 409) return strings.ended;
      return fill(strings.refused, { message: error.message || error.code });
    }

    function showSaved(ballot) {
      if (ballot.queued) {
        // Offline: kept on the tablet by the service worker (static/js/sw.js), sent when the network returns.
        savedState.setAttribute("data-state", "queued");
        savedState.textContent = strings.queued;
        return;
      }
      var latest = null;
      (ballot.answers || []).forEach(function (answer) {
        if (!latest || parseTime(answer.answered_at) > parseTime(latest)) latest = answer.answered_at;
      });
      savedState.setAttribute("data-state", "saved");
      savedState.textContent = "✓ " + fill(strings.savedAt, { time: shortTime(latest) });
      button.textContent = strings.saveAgain;
      form.querySelectorAll(".note").forEach(function (note) {
        note.hidden = true; // the answers now stand on the current papers
      });
      var chip = document.querySelector(".ballot-head .my-status");
      if (chip && ballot.my_status) {
        chip.className = "my-status my-" + ballot.my_status;
        chip.textContent = strings[ballot.my_status] || chip.textContent;
      }
    }

    function end() {
      ended = true;
      form.classList.remove("is-open");
      form.classList.add("is-closed");
      questions.forEach(function (question) {
        question.disabled = true;
      });
      button.hidden = true;
      showFormError(strings.ended);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // The script guards against a double tap itself; app.js's guard would leave the button disabled.
      event.stopPropagation();
      if (busy || ended) return;
      var first = null;
      questions.forEach(function (question) {
        if (!check(question, true) && !first) first = question;
      });
      if (first) {
        var missingChoice = !choiceOf(first);
        showFormError(missingChoice ? strings.chooseEvery : strings.someNeedComment);
        first.scrollIntoView({ block: "center" });
        if (!missingChoice) commentBox(first).focus();
        return;
      }
      var answers = questions.map(function (question) {
        return {
          question_id: Number(question.getAttribute("data-question")),
          choice: choiceOf(question),
          comment: commentBox(question).value.trim() || null,
        };
      });
      busy = true;
      button.disabled = true;
      showFormError("");
      var before = { state: savedState.getAttribute("data-state"), text: savedState.textContent };
      savedState.setAttribute("data-state", "saving");
      savedState.textContent = strings.saving;
      api("PUT", config.responseUrl, { answers: answers })
        .then(showSaved, function (error) {
          savedState.setAttribute("data-state", before.state);
          savedState.textContent = before.text;
          showFormError(refused(error));
          if (error.status === 409) end();
        })
        .then(function () {
          busy = false;
          button.disabled = false;
        });
    });

    deadlineListeners.push(end);
  }

  // --- the secretariat's form ---------------------------------------------------------------------

  function fold(text) {
    return String(text || "")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d")
      .replace(/Đ/g, "D")
      .toLowerCase();
  }

  function ballotForm() {
    var form = document.getElementById("ballot-edit");
    if (!form) return;
    var rows = document.getElementById("question-rows");
    var template = document.getElementById("question-row");
    document.getElementById("add-question").addEventListener("click", function () {
      rows.appendChild(template.content.cloneNode(true));
      rows.lastElementChild.querySelector("textarea").focus();
    });
    rows.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-question]");
      if (!button) return;
      var row = button.closest("li");
      if (rows.children.length > 1) row.remove();
      else row.querySelector("textarea").value = "";
    });

    var all = document.getElementById("all-members");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=recipients]"));
    all.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = all.checked;
      });
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        all.checked = boxes.every(function (b) {
          return b.checked;
        });
      });
    });

    var filter = document.getElementById("paper-filter");
    if (filter) {
      var papers = Array.prototype.slice.call(document.querySelectorAll("#paper-list label"));
      filter.addEventListener("input", function () {
        var words = fold(filter.value).split(/\s+/).filter(Boolean);
        papers.forEach(function (label) {
          var text = fold(label.textContent);
          label.hidden =
            !label.querySelector("input").checked &&
            !words.every(function (word) {
              return text.indexOf(word) >= 0;
            });
        });
      });
      // Enter in the filter must not save the form.
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault();
      });
    }
  }

  // --- the dashboard ------------------------------------------------------------------------------

  function dashboard() {
    var initial = readJson("ballot-results");
    if (!initial) return;
    var stateNode = document.getElementById("results-state");
    var lastSeen = JSON.stringify(initial);
    initial.questions.forEach(function (q) {
      var card = document.querySelector('.q-result[data-q="' + q.id + '"]');
      if (card) drawBar(card, q, initial);
    });

    function setText(node, text) {
      if (node && node.textContent !== String(text)) node.textContent = text;
    }

    // Each choice's share of the recipients, as the width of its part of the question's bar.
    function drawBar(card, q, results) {
      ["agree", "disagree", "other", "no_answer"].forEach(function (key) {
        var seg = card.querySelector('[data-seg="' + key + '"]');
        if (seg) seg.style.width = (results.recipients ? (100 * q[key]) / results.recipients : 0) + "%";
      });
    }

    function renderQuestion(q, results) {
      var card = document.querySelector('.q-result[data-q="' + q.id + '"]');
      if (!card) return;
      ["agree", "disagree", "other", "no_answer"].forEach(function (key) {
        setText(card.querySelector('[data-count="' + key + '"]'), q[key]);
      });
      drawBar(card, q, results);
      var silence = card.querySelector(".q-silence");
      silence.hidden = !q.agree_by_silence;
      setText(silence, fill(strings.inclSilence, { num: q.agree_by_silence }));
      var passed = card.querySelector(".q-passed");
      if (passed) {
        passed.className = "q-passed " + (q.passed ? "yes" : "no") + (results.final ? " final" : "");
        setText(
          passed,
          results.final
            ? q.passed ? strings.passed : strings.notPassed
            : q.passed ? strings.soFarPasses : strings.soFarFails
        );
      }
      var list = card.querySelector(".q-comments");
      var items = document.createDocumentFragment();
      q.answers.forEach(function (answer) {
        if (!answer.comment) return;
        var li = document.createElement("li");
        li.className = "c-" + answer.choice;
        var head = document.createElement("p");
        head.className = "c-head";
        var name = document.createElement("strong");
        name.textContent = answer.full_name;
        var chip = document.createElement("span");
        chip.className = "chip choice-chip-" + answer.choice;
        chip.textContent = strings[answer.choice] || answer.choice;
        var when = document.createElement("small");
        when.className = "muted";
        when.textContent = shortTime(answer.answered_at);
        head.append(name, " ", chip, " ", when);
        if (answer.earlier_version) {
          var flag = document.createElement("span");
          flag.className = "flag-earlier";
          flag.textContent = strings.earlier;
          head.append(" ", flag);
        }
        var text = document.createElement("p");
        text.className = "c-text";
        text.textContent = answer.comment;
        li.append(head, text);
        items.appendChild(li);
      });
      if (!items.childNodes.length) {
        var empty = document.createElement("li");
        empty.className = "empty";
        empty.textContent = strings.noComments;
        items.appendChild(empty);
      }
      list.replaceChildren(items);
    }

    // Who has answered: the same reckoning as views._people, from the same results.
    function renderPeople(results) {
      var total = results.questions.length;
      var byUser = {};
      results.questions.forEach(function (q) {
        q.answers.forEach(function (answer) {
          var person = (byUser[answer.user_id] = byUser[answer.user_id] || { given: 0, latest: null, earlier: false });
          if (!answer.answered_at) return;
          person.given += 1;
          person.earlier = person.earlier || answer.earlier_version;
          if (!person.latest || parseTime(answer.answered_at) > parseTime(person.latest)) person.latest = answer.answered_at;
        });
      });
      var done = 0;
      var rows = document.querySelectorAll("#answer-people [data-user]");
      rows.forEach(function (row) {
        var person = byUser[row.getAttribute("data-user")] || { given: 0, latest: null, earlier: false };
        var state = person.given === total ? "done" : person.given ? "part" : "none";
        if (state === "done") done += 1;
        row.className = "person-" + state;
        setText(row.querySelector(".tick"), state === "done" ? "✓" : "");
        var text;
        if (state === "done") text = strings.answered + " · " + shortTime(person.latest);
        else if (state === "part") text = fill(strings.partly, { answered: person.given, total: total });
        else if (results.final && results.silence_is_consent) text = strings.bySilence;
        else text = strings.notAnswered;
        setText(row.querySelector(".p-state"), text);
        row.querySelector(".p-earlier").hidden = !person.earlier;
      });
      setText(document.querySelector("[data-answered]"), done);
      var remind = document.querySelector(".remind button");
      if (remind) remind.disabled = done === rows.length;
    }

    function render(results) {
      results.questions.forEach(function (q) {
        renderQuestion(q, results);
      });
      renderPeople(results);
    }

    function refresh() {
      return api("GET", config.resultsUrl).then(
        function (results) {
          if (results.status !== config.status) {
            // Sent, closed or re-opened elsewhere (or the deadline passed): the buttons change too.
            window.location.reload();
            return;
          }
          stateNode.classList.remove("warn-text");
          var seen = JSON.stringify(results);
          if (seen !== lastSeen) {
            lastSeen = seen;
            render(results);
          }
        },
        function () {
          stateNode.classList.add("warn-text");
          setText(stateNode, strings.refreshFailed);
        }
      );
    }

    if (config.status === "sent") {
      window.setInterval(function () {
        if (!document.hidden) refresh();
      }, REFRESH_MS);
      document.addEventListener("visibilitychange", function () {
        if (!document.hidden) refresh();
      });
      deadlineListeners.push(function () {
        window.setTimeout(refresh, 1500);
      });
    }
    uploads();
  }

  // PDFs to the ballot, one after another, each with its progress; then the page shows them.
  function uploads() {
    var input = document.getElementById("upload-files");
    if (!input) return;
    var list = document.getElementById("upload-list");

    function uploadOne(file) {
      var row = document.createElement("li");
      var name = document.createElement("span");
      name.className = "u-name";
      name.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      var state = document.createElement("small");
      state.className = "u-state";
      state.textContent = strings.uploading;
      row.append(name, bar, state);
      list.appendChild(row);
      var data = new FormData();
      data.append("file", file);
      return window.ecabinet
        .upload(config.uploadUrl, data, function (done) {
          bar.value = Math.round(100 * done);
        })
        .then(
          function () {
            bar.value = 100;
            row.className = "u-done";
            state.textContent = strings.uploaded;
            return true;
          },
          function (error) {
            var message =
              error.status === 0 ? strings.offline
              : error.status === 413 ? strings.tooLarge
              : error.status === 415 ? strings.notPdf
              : error.message;
            row.className = "u-failed";
            state.textContent = fill(strings.uploadFailed, { message: message });
            return false;
          }
        );
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return;
      input.disabled = true;
      var allGood = true;
      var anyGood = false;
      files
        .reduce(function (previous, file) {
          return previous.then(function () {
            return uploadOne(file).then(function (ok) {
              allGood = allGood && ok;
              anyGood = anyGood || ok;
            });
          });
        }, Promise.resolve())
        .then(function () {
          input.value = "";
          input.disabled = false;
          if (allGood) {
            var note = document.createElement("li");
            note.className = "u-reload";
            note.textContent = strings.reloading;
            list.appendChild(note);
            window.setTimeout(function () {
              window.location.reload();
            }, 800);
          } else if (anyGood) {
            // Some were refused: their messages stay, and the others are one reload away.
            var item = document.createElement("li");
            item.className = "u-reload";
            var link = document.createElement("a");
            link.href = window.location.pathname;
            link.textContent = strings.reload;
            item.appendChild(link);
            list.appendChild(item);
          }
        });
    });
  }

  // --- start --------------------------------------------------------------------------------------

  answerPage();
  ballotForm();
  dashboard();
  listenForBallots();
  tick();
  window.setInterval(tick, 1000);
})();
