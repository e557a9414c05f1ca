// The minutes editor: the clerk types, the page saves.
//
// Plain script after static/js/live.js (window.ecabinetLive: the API helper and the live session).
// Each change is saved 1.5 s after the last keystroke, or when the field loses focus, through
// PUT /api/v1/meetings/<id>/minutes with only the fields that changed and the revision the page last
// saw. If someone saved meanwhile, the server answers 409 stale_revision: nothing is overwritten, the
// page shows their text beside the clerk's and the clerk chooses. Live, the page follows the chair to
// the item under discussion (cursor in its notes) and turns read-only when the minutes are approved.
(function () {
  "use strict";

  var root = document.getElementById("minutes");
  var configNode = document.getElementById("minutes-config");
  if (!root || !configNode || !window.ecabinetLive) return;
  var config = JSON.parse(configNode.textContent);
  var strings = JSON.parse(document.getElementById("minutes-strings").textContent);
  var live = window.ecabinetLive;
  var api = live.api;

  var RETRY_MIN_MS = 2000;
  var RETRY_MAX_MS = 30000;

  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  // "HH:MM:SS" in the office's time zone, whatever the tablet's own setting.
  var clockFormat = (function () {
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || "vi", {
        timeZone: config.timeZone,
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      });
    } catch (error) {
      return null;
    }
  })();

  function clock(iso) {
    var moment = iso ? new Date(live.parseTime(iso)) : new Date();
    if (isNaN(moment.getTime())) moment = new Date();
    return clockFormat ? clockFormat.format(moment) : moment.toTimeString().slice(0, 8);
  }

  // --- the fields and what the server holds -------------------------------------------------------

  // key: "summary", or "<item id>:notes" / "<item id>:decision"
  var fields = {};
  var server = {}; // the text of each field in revision `base`, as far as this page knows
  var base = config.revision;

  function keyOf(textarea) {
    var item = textarea.getAttribute("data-item");
    return item ? item + ":" + textarea.getAttribute("data-field") : "summary";
  }

  function textsOf(minutes) {
    var texts = { summary: minutes.summary || "" };
    (minutes.entries || []).forEach(function (entry) {
      texts[entry.agenda_item_id + ":notes"] = entry.notes || "";
      texts[entry.agenda_item_id + ":decision"] = entry.decision || "";
    });
    return texts;
  }

  server.summary = config.summary || "";
  Object.keys(config.entries || {}).forEach(function (id) {
    server[id + ":notes"] = config.entries[id][0] || "";
    server[id + ":decision"] = config.entries[id][1] || "";
  });

  function isDirty(key) {
    return fields[key] && fields[key].value !== (server[key] || "");
  }

  function dirtyKeys() {
    return Object.keys(fields).filter(isDirty);
  }

  function grow(textarea) {
    // Taller as the text grows, so the clerk sees a whole item's notes without a second scroll bar.
    textarea.style.height = "auto";
    textarea.style.height = textarea.scrollHeight + 4 + "px";
  }

  // --- the save state ----------------------------------------------------------------------------

  var stateNode = root.querySelector(".save-state");
  var stateText = root.querySelector(".save-text");
  var revisionNode = root.querySelector(".save-revision");

  function setState(state, text) {
    if (!stateNode) return;
    stateNode.setAttribute("data-state", state);
    stateText.textContent = text;
  }

  function showRevision(number) {
    if (revisionNode) revisionNode.textContent = number ? format(strings.revision, { number: number }) : "";
  }

  // --- saving --------------------------------------------------------------------------------------

  var timer = null;
  var retryTimer = null;
  var retryDelay = RETRY_MIN_MS;
  var inFlight = null; // the running save's promise
  var again = false; // typed while a save was running
  var conflict = null; // the newer minutes, while the clerk has not chosen
  var stopped = false; // approved, or cannot save any more
  var waiters = []; // flush() callers waiting for everything to be saved

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay === undefined ? config.debounceMs : delay);
  }

  function settle(ok) {
    var list = waiters;
    waiters = [];
    list.forEach(function (resolve) { resolve(ok); });
  }

  function save() {
    window.clearTimeout(timer);
    timer = null;
    if (stopped || conflict) return;
    if (inFlight) {
      again = true;
      return;
    }
    var keys = dirtyKeys();
    if (!keys.length) {
      settle(true);
      return;
    }
    window.clearTimeout(retryTimer);
    var sent = {};
    var entries = {};
    var body = { revision: base, entries: [] };
    keys.forEach(function (key) {
      sent[key] = fields[key].value;
      if (key === "summary") {
        body.summary = sent[key];
        return;
      }
      var parts = key.split(":");
      var entry = entries[parts[0]];
      if (!entry) {
        entry = entries[parts[0]] = { agenda_item_id: Number(parts[0]) };
        body.entries.push(entry);
      }
      entry[parts[1]] = sent[key];
    });
    setState("saving", strings.saving);
    inFlight = api("PUT", config.minutesUrl, body).then(
      function (minutes) {
        inFlight = null;
        retryDelay = RETRY_MIN_MS;
        base = minutes.revision;
        Object.keys(sent).forEach(function (key) { server[key] = sent[key]; });
        showRevision(base);
        if (again || dirtyKeys().length) {
          again = false;
          setState("unsaved", strings.unsaved);
          save();
          return;
        }
        setState("saved", format(strings.saved, { time: clock(minutes.updated_at) }));
        settle(true);
      },
      function (error) {
        inFlight = null;
        again = false;
        refused(error);
      }
    );
  }

  function refused(error) {
    if (error.status === 409 && error.code === "stale_revision") {
      // The API's answer carries the newer text; read it afresh only if an older server left it out.
      if (error.details.current) openConflict(error.details.current);
      else api("GET", config.minutesUrl).then(openConflict, refused);
      return;
    }
    if (error.status === 409 && error.code === "minutes_approved") {
      approvedMeanwhile();
      return;
    }
    if (error.status === 0 || error.status === 503 || error.status >= 500 || error.status === 401) {
      // No connection, a busy server, or a login that ended: the text stays here; try again later.
      setState("error", error.status === 401 ? strings.loggedOut : strings.offline);
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(save, retryDelay);
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
      return;
    }
    setState("error", format(strings.refused, { message: error.message || error.code }));
    settle(false);
  }

  // Resolves true once every change is saved, false if that cannot happen without the clerk.
  function flush() {
    return new Promise(function (resolve) {
      if (stopped || conflict) {
        resolve(false);
        return;
      }
      waiters.push(resolve);
      save();
    });
  }

  // --- a newer revision: show it, let the clerk choose ---------------------------------------------

  var conflictNode = root.querySelector(".conflict");

  function labelOf(key) {
    if (key === "summary") return strings.summary;
    var parts = key.split(":");
    var section = document.getElementById("minutes-item-" + parts[0]);
    var number = section ? section.querySelector(".num").textContent.trim() : parts[0];
    return format(strings.itemLabel, { number: number }) + " · " + strings[parts[1]];
  }

  function textBlock(title, text, className) {
    var box = document.createElement("div");
    box.className = "conflict-text " + className;
    var heading = document.createElement("h4");
    heading.textContent = title;
    var body = document.createElement("div");
    body.className = "prose";
    body.textContent = text || strings.empty;
    if (!text) body.classList.add("muted");
    box.appendChild(heading);
    box.appendChild(body);
    return box;
  }

  function openConflict(minutes) {
    if (minutes.status === "approved") {
      approvedMeanwhile();
      return;
    }
    var theirs = textsOf(minutes);
    var changedByThem = Object.keys(fields).filter(function (key) {
      return (theirs[key] || "") !== (server[key] || "");
    });
    var clashes = changedByThem.filter(function (key) {
      return fields[key].value !== (theirs[key] || "");
    });
    if (!clashes.length) {
      // Their revision differs from ours nowhere that matters (an item this reader cannot see, or
      // the same words): build on it and carry on.
      adopt(minutes, theirs, changedByThem);
      save();
      return;
    }
    conflict = { minutes: minutes, theirs: theirs, changed: changedByThem };
    window.clearTimeout(retryTimer);
    settle(false); // an approval waiting for the save waits for the clerk's choice instead
    setState("conflict", strings.unsaved);
    conflictNode.querySelector(".conflict-who").textContent = format(strings.conflictWho, {
      number: minutes.revision,
      time: clock(minutes.updated_at),
      name: minutes.updated_by || "",
    });
    var list = conflictNode.querySelector(".conflict-list");
    list.textContent = "";
    changedByThem.forEach(function (key) {
      var row = document.createElement("div");
      row.className = "conflict-row";
      var title = document.createElement("h3");
      title.textContent = labelOf(key);
      var pair = document.createElement("div");
      pair.className = "conflict-pair";
      pair.appendChild(textBlock(strings.theirs, theirs[key] || "", "theirs"));
      if (isDirty(key)) pair.appendChild(textBlock(strings.mine, fields[key].value, "mine"));
      row.appendChild(title);
      row.appendChild(pair);
      list.appendChild(row);
    });
    conflictNode.hidden = false;
    conflictNode.scrollIntoView({ block: "start", behavior: "smooth" });
    conflictNode.querySelector(".conflict-mine").focus({ preventScroll: true });
  }

  // Take the newer revision as the base; the fields the clerk did not touch show its text.
  function adopt(minutes, theirs, changedByThem) {
    changedByThem.forEach(function (key) {
      if (!isDirty(key)) {
        fields[key].value = theirs[key] || "";
        grow(fields[key]);
      }
    });
    Object.keys(theirs).forEach(function (key) { server[key] = theirs[key]; });
    base = minutes.revision;
    showRevision(base);
  }

  function closeConflict() {
    conflictNode.hidden = true;
    conflict = null;
  }

  if (conflictNode) {
    conflictNode.querySelector(".conflict-mine").addEventListener("click", function () {
      var c = conflict;
      if (!c) return;
      closeConflict();
      adopt(c.minutes, c.theirs, c.changed);
      save();
    });
    conflictNode.querySelector(".conflict-theirs").addEventListener("click", function () {
      var c = conflict;
      if (!c) return;
      closeConflict();
      Object.keys(fields).forEach(function (key) {
        fields[key].value = c.theirs[key] || "";
        grow(fields[key]);
      });
      adopt(c.minutes, c.theirs, c.changed);
      setState("saved", format(strings.saved, { time: clock(c.minutes.updated_at) }));
      settle(true);
    });
  }

  // --- approval ------------------------------------------------------------------------------------

  function approvedMeanwhile() {
    var unsaved = dirtyKeys().length > 0;
    stopped = true;
    window.clearTimeout(timer);
    window.clearTimeout(retryTimer);
    if (!unsaved) {
      window.location.reload();
      return;
    }
    // Keep the clerk's unsaved words on screen (to copy), but no longer as an edit of the minutes.
    Object.keys(fields).forEach(function (key) { fields[key].readOnly = true; });
    setState("error", strings.approvedMeanwhile);
    settle(false);
  }

  var approveForm = root.querySelector(".approve-form");
  var approving = false; // this page posted the approval: its own event needs no reload
  if (approveForm) {
    if (config.editable) {
      // Approving freezes the latest saved revision: what is still being typed is saved first.
      approveForm.addEventListener("submit", function (event) {
        if (!dirtyKeys().length && !inFlight) return; // app.js asks and posts
        event.preventDefault();
        event.stopPropagation();
        if (!window.confirm(approveForm.getAttribute("data-confirm"))) return;
        flush().then(function (ok) {
          if (!ok) return;
          approving = true;
          approveForm.submit();
        });
      });
    }
    // After app.js's own listener (registered first): posted unless its question was declined.
    document.addEventListener("submit", function (event) {
      if (event.target === approveForm && !event.defaultPrevented) approving = true;
    });
  }

  // --- following the session -----------------------------------------------------------------------

  function goTo(itemId) {
    var section = document.getElementById("minutes-item-" + itemId);
    if (!section) return;
    root.querySelectorAll(".minutes-item.current").forEach(function (node) {
      node.classList.remove("current");
    });
    section.classList.add("current");
    section.scrollIntoView({ block: "start", behavior: "smooth" });
    var notes = fields[itemId + ":notes"];
    if (notes && !stopped) {
      // The field being typed in saves on blur, as always.
      notes.focus({ preventScroll: true });
      notes.setSelectionRange(notes.value.length, notes.value.length);
    }
  }

  var agendaNotice = null;

  // The session's votes as they happen: the server renders the boxes again (one request for a burst of
  // casts), and only those boxes are swapped, never the text being typed.
  var votesTimer = null;
  function refreshVotes() {
    if (votesTimer) return;
    votesTimer = window.setTimeout(function () {
      votesTimer = null;
      window.ecabinet.fetch(config.votesUrl, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        fresh.querySelectorAll("[data-votes-of]").forEach(function (box) {
          var shown = root.querySelector('[data-votes-of="' + box.getAttribute("data-votes-of") + '"]');
          if (shown) shown.replaceWith(document.importNode(box, true));
        });
        var general = root.querySelector(".minutes-general");
        if (general) general.hidden = !general.querySelector(".record-vote");
      }).catch(function () {}); // the next event tries again
    }, 300);
  }

  function agendaChanged() {
    if (agendaNotice) return;
    agendaNotice = document.querySelector(".agenda-changed");
    if (agendaNotice) agendaNotice.hidden = false;
  }

  if (!root.classList.contains("is-approved") && live.LiveMeeting && typeof window.io === "function") {
    var session = new live.LiveMeeting({
      meetingId: config.meetingId,
      eventsUrl: config.eventsUrl,
      seq: config.seq,
      strings: { offline: strings.offlineLive, loggedOut: strings.loggedOutLive, gone: strings.gone },
    });
    session.on("agenda.current", function (data) { goTo(data.agenda_item_id); });
    ["vote.opened", "vote.progress", "vote.closed"].forEach(function (type) {
      session.on(type, refreshVotes);
    });
    session.on("agenda.changed", agendaChanged);
    session.on("minutes.approved", function () {
      if (approving) return;
      if (config.editable) approvedMeanwhile();
      else window.location.reload();
    });
    session.start();
    window.ecabinetMinutes = { live: session }; // for a look from the console or a browser test
  }

  // --- wiring --------------------------------------------------------------------------------------

  if (!config.editable) return;

  root.querySelectorAll("textarea[data-field]").forEach(function (textarea) {
    var key = keyOf(textarea);
    fields[key] = textarea;
    // What the server holds, not what the browser may have restored into the form on a reload.
    textarea.value = server[key] || "";
    grow(textarea);
  });

  root.addEventListener("input", function (event) {
    var textarea = event.target;
    if (!textarea.matches || !textarea.matches("textarea[data-field]")) return;
    grow(textarea);
    if (stopped) return;
    if (!conflict) setState("unsaved", strings.unsaved);
    schedule();
  });

  root.addEventListener("focusout", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-field]")) save();
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save();
  });
  window.addEventListener("online", function () {
    if (dirtyKeys().length) save();
  });
  window.addEventListener("beforeunload", function (event) {
    if (stopped || (!dirtyKeys().length && !inFlight)) return;
    event.preventDefault();
    event.returnValue = strings.leaveUnsaved;
    return strings.leaveUnsaved;
  });

  if (config.currentItemId && fields[config.currentItemId + ":notes"] && !window.location.hash) {
    goTo(config.currentItemId);
  }
})();
