// The wall display (templates/meetings/wall.html): read-only, drawn from the meeting and kept live.
// The projector shows the whole room what the account logged in on its computer may see — usually the
// secretariat, which sees everything. So the wall holds back on its own what not everyone in the room
// may see: the running count of an open vote, and the titles of confidential items (and the
// questions put to the vote about them).
(function () {
  "use strict";

  var L = window.ecabinetLive;
  var page = L && L.resultChart ? L.livePage("wall-config", "wall-strings", ".wall") : null;
  if (!page) return;
  var config = page.config;
  var S = page.S;
  var API = config.api;
  var meetingUrl = page.meetingUrl;
  var h = L.h;
  var root = page.root;
  var client = page.client;
  var $ = page.$;

  var state = { meeting: config.meeting, vote: null, speakers: [], speakersItemId: null };

  function currentItem() {
    var id = state.meeting.current_agenda_item_id;
    return state.meeting.agenda.filter(function (i) { return i.id === id; })[0] || null;
  }

  // Confidential itself or under a confidential item.
  function confidential(itemId) {
    var byId = {};
    state.meeting.agenda.forEach(function (i) { byId[i.id] = i; });
    for (var item = byId[itemId]; item; item = byId[item.parent_id]) {
      if (item.confidential) return true;
    }
    return false;
  }

  var STATUS = { draft: "statusDraft", published: "statusPublished", in_progress: "statusInProgress", closed: "statusClosed" };

  function renderHead() {
    var box = $(".wall-status");
    box.textContent = "";
    box.appendChild(h("span", { className: "badge status-" + state.meeting.status, text: S[STATUS[state.meeting.status]] }));
  }

  function renderNow() {
    var item = currentItem();
    var now = $(".wall-now");
    now.classList.toggle("empty-now", !item);
    var secret = item && confidential(item.id);
    now.querySelector(".num").textContent = item ? item.number + "." : "";
    now.querySelector(".title").textContent = secret ? S.confidentialItem : item ? item.title : S.nothingCurrent;
    now.querySelector(".wall-presenter").textContent = item && item.presenter && !secret ? S.presenter + ": " + item.presenter : "";
  }

  function renderAgenda() {
    var list = $(".wall-items");
    list.textContent = "";
    var currentId = state.meeting.current_agenda_item_id;
    state.meeting.agenda.forEach(function (item) {
      if (item.level > 1 || confidential(item.id)) return;
      list.appendChild(h("li", { className: "level-" + item.level + (item.id === currentId ? " current" : "") },
        h("span", { className: "num", text: item.number }),
        h("span", { className: "wall-item-title", text: item.title })));
    });
  }

  // --- the vote ---------------------------------------------------------------------------------

  function renderVote() {
    var panel = $(".wall-vote");
    var vote = state.vote;
    panel.hidden = !vote;
    $(".wall-agenda").hidden = !!vote;
    root.classList.toggle("has-vote", !!vote);
    panel.textContent = "";
    if (!vote) return;
    panel.className = "wall-panel wall-vote status-" + vote.status;
    panel.appendChild(h("div", { className: "vote-head" },
      h("span", { className: "wall-label", text: vote.status === "closed" ? S.resultHeading : S.voteHeading }),
      vote.secret ? h("span", { className: "badge secret", text: S.secretVote }) : null));
    var secret = vote.agenda_item_id && confidential(vote.agenda_item_id);
    panel.appendChild(h("p", { className: "wall-question", text: secret ? S.confidentialItem : vote.question }));
    var rule = L.majorityLabel(S, vote.majority);
    if (rule) panel.appendChild(h("p", { className: "vote-rule", text: rule }));
    if (vote.status === "closed") {
      panel.appendChild(L.resultChart(S, vote));
    } else {
      panel.appendChild(h("p", { className: "wall-count" },
        h("strong", { text: vote.cast || 0 }), h("span", { text: " / " + (vote.eligible || 0) })));
      panel.appendChild(L.progress(S, vote.cast || 0, vote.eligible || 0));
    }
  }

  function showVote(vote) {
    var id = vote.id || vote.vote_id;
    if (state.vote && state.vote.id === id) {
      for (var key in vote) if (key !== "counts" || state.vote.status === "closed" || vote.status === "closed") state.vote[key] = vote[key];
    } else {
      state.vote = Object.assign({ cast: 0, status: "open" }, vote, { id: id });
    }
    // The room sees no running count, whoever is logged in here.
    if (state.vote.status !== "closed") delete state.vote.counts;
    renderVote();
  }

  client.on("vote.opened", function (data) {
    showVote(Object.assign({ status: "open", cast: 0 }, data));
  });
  client.on("vote.progress", function (data) {
    if (!state.vote || state.vote.id !== data.vote_id || state.vote.status === "closed") return;
    state.vote.cast = Math.max(state.vote.cast || 0, data.cast);
    state.vote.eligible = data.eligible;
    renderVote();
  });
  client.on("vote.closed", function (data) {
    if (!state.vote || state.vote.id !== data.vote_id) return;
    showVote({ id: data.vote_id, status: "closed", counts: data.counts, passed: data.passed, cast: data.cast, eligible: data.eligible });
  });

  // At load: the open vote, or the result of the last one if it was about the item still under
  // discussion (a projector restarted mid-session shows what the room just saw).
  function loadVotes() {
    L.api("GET", meetingUrl + "/votes").then(function (votes) {
      var open = votes.filter(function (v) { return v.status === "open"; });
      var last = votes[votes.length - 1];
      if (open.length) showVote(open[open.length - 1]);
      else if (last && last.status === "closed" && last.agenda_item_id === state.meeting.current_agenda_item_id) showVote(last);
    }, function () {});
  }

  // --- the floor --------------------------------------------------------------------------------

  function loadSpeakers() {
    var item = currentItem();
    state.speakersItemId = item ? item.id : null;
    state.speakers = [];
    renderSpeaker();
    if (!item) return;
    L.api("GET", API + "/agenda/" + item.id + "/speakers").then(function (list) {
      if (state.speakersItemId !== item.id) return;
      state.speakers = list;
      renderSpeaker();
    }, function () { /* a wall account outside the meeting: the next change brings the list */ });
  }

  function renderSpeaker() {
    var now = $(".wall-speaker-now");
    var queue = $(".wall-queue");
    now.textContent = "";
    queue.textContent = "";
    var speaking = state.speakers.filter(function (s) { return s.state === "speaking"; })[0];
    var waiting = state.speakers.filter(function (s) { return s.state === "waiting"; });
    if (speaking) {
      now.appendChild(h("p", { className: "wall-speaker-name", text: speaking.full_name }));
      if (speaking.title) now.appendChild(h("p", { className: "wall-speaker-title", text: speaking.title }));
      now.appendChild(h("p", { className: "wall-timer" }, L.timer(speaking.started_at)));
    } else {
      now.appendChild(h("p", { className: "wall-nobody", text: S.nobodySpeaking }));
    }
    if (waiting.length) {
      queue.appendChild(h("p", { className: "wall-label", text: S.next }));
      queue.appendChild(h("ol", { className: "wall-waiting" }, waiting.slice(0, 4).map(function (s) {
        return h("li", { text: s.full_name });
      })));
    }
    L.startTimers();
  }

  client.on("speakers.changed", function (data) {
    if (data.agenda_item_id !== state.speakersItemId) return;
    state.speakers = data.speakers || [];
    renderSpeaker();
  });

  // --- attendance -------------------------------------------------------------------------------

  function renderAttendance() {
    var a = state.meeting.attendance;
    $(".wall-attendance").textContent = L.fmt(S.membersPresent, { present: a.members_present, members: a.members });
    var quorum = $(".wall-quorum");
    quorum.textContent = a.quorum ? S.quorumReached : L.fmt(S.quorumShort, { required: a.required });
    quorum.className = "wall-quorum " + (a.quorum ? "ok" : "short");
  }

  client.on("attendance.changed", function (data) {
    var a = state.meeting.attendance;
    a.members_present = data.members_present;
    a.quorum = data.quorum;
    a.required = data.required;
    renderAttendance();
  });

  // --- the meeting itself -----------------------------------------------------------------------

  function reloadMeeting() {
    L.api("GET", meetingUrl).then(function (meeting) {
      var before = state.meeting.current_agenda_item_id;
      state.meeting = meeting;
      renderAll();
      if (meeting.current_agenda_item_id !== before) loadSpeakers();
    }, function () {});
  }

  client.on("agenda.changed", reloadMeeting);
  client.on("meeting.status", function (data) {
    state.meeting.status = data.status;
    renderHead();
  });
  client.on("agenda.current", function (data) {
    if (!state.meeting.agenda.some(function (i) { return i.id === data.agenda_item_id; })) {
      state.meeting.current_agenda_item_id = data.agenda_item_id;
      reloadMeeting();
      return;
    }
    state.meeting.current_agenda_item_id = data.agenda_item_id;
    // A closed vote's result gives way to the next item; an open vote stays until it closes.
    if (state.vote && state.vote.status === "closed") state.vote = null;
    renderAll();
    loadSpeakers();
  });

  function renderAll() {
    renderHead();
    renderNow();
    renderAgenda();
    renderVote();
    renderSpeaker();
    renderAttendance();
  }

  // --- the clock --------------------------------------------------------------------------------

  function tick() {
    var clock = $(".wall-clock");
    try {
      clock.textContent = new Date(L.serverNow()).toLocaleTimeString(config.lang === "en" ? "en-GB" : "vi-VN", {
        hour: "2-digit", minute: "2-digit", timeZone: config.timeZone,
      });
    } catch (error) {
      clock.textContent = "";
    }
  }

  renderAll();
  loadSpeakers();
  tick();
  window.setInterval(tick, 5000);
  var started = false;
  client.on("connection", function (data) {
    if (data.online && !started) {
      started = true;
      loadVotes();
    }
  });
  window.setTimeout(function () {
    if (!started) {
      started = true;
      loadVotes();
    }
  }, 5000);
  client.start();
  window.ecabinetWall = { client: client, state: state };
})();
