// The chair's and the secretariat's console (templates/meetings/console.html). One state object, drawn
// by one function per card; events from static/js/live.js and the API's own answers both update it,
// so an action shows at once and the event that follows changes nothing more.
(function () {
  "use strict";

  var L = window.ecabinetLive;
  var page = L && L.VotePanel ? L.livePage("console-config", "console-strings", ".console") : null;
  if (!page) return;
  var config = page.config;
  var S = page.S;
  var API = config.api;
  var meetingUrl = page.meetingUrl;
  var h = L.h;
  var client = page.client;
  var $ = page.$;

  var state = {
    meeting: config.meeting,
    votes: [],
    speakers: [],
    speakersItemId: null,
    presenter: { document_id: null, version: null, page: null },
  };

  function complain(error) {
    window.alert(L.fmt(S.failedAction, { message: error.message || error.code }));
  }

  // Run an API call from a button: the button rests while it runs; a refusal is said aloud.
  function act(button, method, url, body) {
    if (button) button.disabled = true;
    return L.api(method, url, body).then(
      function (answer) {
        if (button) button.disabled = false;
        return answer;
      },
      function (error) {
        if (button) button.disabled = false;
        complain(error);
        throw error;
      }
    );
  }

  function currentItem() {
    var id = state.meeting.current_agenda_item_id;
    return state.meeting.agenda.filter(function (i) { return i.id === id; })[0] || null;
  }

  // --- the session's status ---------------------------------------------------------------------

  var STATUS = { draft: "statusDraft", published: "statusPublished", in_progress: "statusInProgress", closed: "statusClosed" };
  var NEXT = { draft: ["publish", "publish", S.publishConfirm], published: ["start", "start", null], in_progress: ["close", "closeSession", S.closeSessionConfirm] };

  function renderHead() {
    var status = state.meeting.status;
    $(".console-status").textContent = "";
    $(".console-status").appendChild(h("span", { className: "badge status-" + status, text: S[STATUS[status]] || status }));
    $(".vote-create").hidden = status === "closed"; // a closed meeting takes no more votes
    var actions = $(".status-actions");
    actions.textContent = "";
    var next = NEXT[status];
    // Publishing is the secretariat's; opening and closing the session the chair's too.
    if (next && (next[0] === "publish" ? state.meeting.can_manage : state.meeting.can_run)) {
      actions.appendChild(h("button", {
        type: "button",
        className: status === "in_progress" ? "danger" : "primary",
        text: S[next[1]],
        on: {
          click: function (event) {
            var button = event.currentTarget;
            if (next[2] && !window.confirm(next[2])) return;
            if (next[0] === "start" && !confirmWithoutQuorum(state.meeting.attendance.on_opening, S.startNoQuorum)) return;
            changeStatus(button, next[0]);
          },
        },
      }));
    }
  }

  // Opening the session or a vote without a quorum is allowed, after the chair says so; the record
  // keeps that it happened (the server notes the attendance at that moment).
  function confirmWithoutQuorum(attendance, question) {
    if (!attendance || attendance.quorum) return true;
    return window.confirm(L.fmt(question, {
      present: attendance.members_present, members: attendance.members, required: attendance.required,
    }));
  }

  function changeStatus(button, action) {
    button.disabled = true;
    L.api("POST", meetingUrl + "/" + action).then(function (meeting) {
      button.disabled = false;
      state.meeting = Object.assign(state.meeting, { status: meeting.status, attendance: meeting.attendance });
      renderAll();
    }, function (error) {
      button.disabled = false;
      // A session with a vote still open does not close: offer to close that vote first.
      if (error.code === "vote_open" && window.confirm(L.fmt(S.closeVoteFirst, { question: error.details.question }))) {
        L.api("POST", API + "/votes/" + error.details.vote_id + "/close").then(function (vote) {
          upsertVote(vote);
          changeStatus(button, action);
        }, complain);
        return;
      }
      if (error.code !== "vote_open") complain(error);
    });
  }

  // --- the agenda: choosing the current item ----------------------------------------------------

  function renderAgenda() {
    var list = $(".console-items");
    list.textContent = "";
    var live = state.meeting.status === "published" || state.meeting.status === "in_progress";
    state.meeting.agenda.forEach(function (item) {
      var current = item.id === state.meeting.current_agenda_item_id;
      list.appendChild(h("li", { className: "level-" + Math.min(item.level, 3) + (current ? " current" : "") },
        h("button", {
          type: "button",
          className: "console-item",
          disabled: !live,
          attrs: { "aria-pressed": current ? "true" : "false", "data-item-id": item.id },
          on: {
            click: function (event) {
              if (current) return;
              act(event.currentTarget, "POST", meetingUrl + "/current", { agenda_item_id: item.id }).then(function () {
                setCurrent(item.id);
              }, function () {});
            },
          },
        },
        h("span", { className: "num", text: item.number }),
        h("span", { className: "console-item-title", text: item.title }),
        item.confidential ? h("span", { className: "badge secret", text: S.confidential }) : null,
        current ? h("span", { className: "badge now", text: "▶" }) : null)
      ));
    });
  }

  function setCurrent(itemId) {
    if (state.meeting.current_agenda_item_id === itemId) return;
    state.meeting.current_agenda_item_id = itemId;
    renderAgenda();
    renderVoteForm();
    loadSpeakers();
    docSelect.value = ""; // a new item: its own documents come first
    renderPresenter(false);
  }

  // --- attendance -------------------------------------------------------------------------------

  function renderAttendance() {
    var a = state.meeting.attendance;
    var card = $(".console-attendance");
    card.querySelector(".members-present").textContent = a.members_present;
    card.querySelector(".members-total").textContent = "/ " + a.members;
    card.querySelector(".count-label").textContent = L.fmt(S.membersPresent, { present: a.members_present, members: a.members });
    card.querySelector(".quorum-state").textContent = a.quorum ? S.quorumReached : L.fmt(S.quorumShort, { required: a.required });
    card.classList.toggle("quorum-ok", !!a.quorum);
    card.classList.toggle("quorum-short", !a.quorum);
    var people = card.querySelector(".console-people");
    people.textContent = "";
    state.meeting.participants.forEach(function (p) {
      people.appendChild(h("li", { className: p.present ? "present" : "absent" },
        h("span", { className: "tick", attrs: { "aria-hidden": "true" }, text: p.present ? "✓" : "" }),
        h("span", { className: "who", text: p.full_name }),
        p.user_id === state.meeting.chair_id ? h("span", { className: "chip", text: S.chair }) : null,
        h("span", { className: "visually-hidden", text: p.present ? S.present : S.absent })));
    });
  }

  // --- votes ------------------------------------------------------------------------------------

  var form = $(".vote-form");

  function renderVoteForm() {
    var select = form.querySelector("select[name=agenda_item_id]");
    var chosen = select.value;
    select.textContent = "";
    select.appendChild(h("option", { value: "", text: S.noItem }));
    state.meeting.agenda.forEach(function (item) {
      select.appendChild(h("option", {
        value: String(item.id),
        text: "\u2003".repeat(item.level) + item.number + ". " + item.title,
      }));
    });
    var current = currentItem();
    select.value = form.dataset.touched && chosen !== undefined ? chosen : current ? String(current.id) : "";
  }

  form.querySelector("select[name=agenda_item_id]").addEventListener("change", function () {
    form.dataset.touched = "1";
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var error = form.querySelector(".form-error");
    error.hidden = true;
    var body = {
      question: form.question.value.trim(),
      secret: form.secret.checked,
      majority: form.majority.value,
      chair_breaks_tie: form.chair_breaks_tie.checked,
    };
    if (form.agenda_item_id.value) body.agenda_item_id = parseInt(form.agenda_item_id.value, 10);
    var options = form.options.value.split("\n").map(function (o) { return o.trim(); }).filter(Boolean);
    if (options.length) {
      if (options.length < 2) {
        error.textContent = S.optionsTooFew;
        error.hidden = false;
        return;
      }
      body.options = options;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    L.api("POST", meetingUrl + "/votes", body).then(
      function (vote) {
        button.disabled = false;
        upsertVote(vote);
        form.reset();
        delete form.dataset.touched;
        renderVoteForm();
        form.closest("details").open = false;
      },
      function (failure) {
        button.disabled = false;
        error.textContent = L.fmt(S.failedAction, { message: failure.message || failure.code });
        error.hidden = false;
      }
    );
  });

  function upsertVote(vote) {
    var id = vote.id || vote.vote_id;
    var known = state.votes.filter(function (v) { return v.id === id; })[0];
    if (!known) {
      known = { id: id, cast: 0, status: "draft" };
      state.votes.push(known);
    }
    // A replayed secret-vote event carries no counts (they are not stored): keep the live ones shown.
    for (var key in vote) if (key !== "vote_id" && vote[key] !== undefined) known[key] = vote[key];
    renderVotes();
    return known;
  }

  function renderVotes() {
    var list = $(".console-vote-list");
    list.textContent = "";
    var order = { open: 0, draft: 1, closed: 2 };
    var votes = state.votes.slice().sort(function (a, b) {
      return order[a.status] - order[b.status] || b.id - a.id;
    });
    if (!votes.length) list.appendChild(h("p", { className: "empty", text: S.noVotes }));
    var refused = state.refused;
    if (refused && !votes.some(function (v) { return v.id === refused.vote_id && v.status === "open"; })) {
      refused = state.refused = null; // that vote has closed meanwhile
    }
    if (refused) {
      list.appendChild(h("div", { className: "flash error vote-refused", attrs: { role: "alert" } },
        h("p", { text: L.fmt(S.voteAlreadyOpen, { question: refused.question }) }),
        h("button", {
          type: "button", className: "danger small", text: S.closeThatVote,
          on: {
            click: function (event) {
              var open = state.votes.filter(function (v) { return v.id === refused.vote_id; })[0] || {};
              if (!window.confirm(L.fmt(S.closeVoteConfirm, { cast: open.cast || 0, eligible: open.eligible || 0 }))) return;
              act(event.currentTarget, "POST", API + "/votes/" + refused.vote_id + "/close").then(upsertVote, function () {});
            },
          },
        })));
    }
    votes.forEach(function (vote) {
      var item = state.meeting.agenda.filter(function (i) { return i.id === vote.agenda_item_id; })[0];
      var card = h("article", { className: "console-vote status-" + vote.status, attrs: { "data-vote-id": vote.id } },
        h("div", { className: "card-top" },
          h("span", { className: "badge vote-status", text: vote.status === "open" ? S.voteOpen : vote.status === "closed" ? S.voteClosed : S.voteDraft }),
          vote.secret ? h("span", { className: "badge secret", text: S.secretVote }) : null,
          item ? h("span", { className: "muted", text: L.fmt(S.itemNumber, { number: item.number }) }) : null),
        h("h3", { text: vote.question }),
        h("p", { className: "vote-rule", text: L.majorityLabel(S, vote.majority) }));
      if (vote.status === "draft") {
        card.appendChild(h("div", { className: "form-actions" }, h("button", {
          type: "button", className: "primary", text: S.openVote,
          disabled: state.meeting.status !== "in_progress",
          on: {
            click: function (event) {
              if (!confirmWithoutQuorum(state.meeting.attendance, S.openNoQuorum)) return;
              var button = event.currentTarget;
              button.disabled = true;
              L.api("POST", API + "/votes/" + vote.id + "/open").then(function (opened) {
                state.refused = null;
                upsertVote(opened);
              }, function (error) {
                button.disabled = false;
                if (error.code !== "vote_already_open") return complain(error);
                // Said where the chair looks, with the open vote named and a way to close it.
                state.refused = { vote_id: error.details.vote_id, question: error.details.question };
                renderVotes();
              });
            },
          },
        })));
      } else if (vote.status === "open") {
        card.appendChild(L.progress(S, vote.cast || 0, vote.eligible || 0));
        if (vote.counts) {
          card.appendChild(h("p", { className: "hint", text: S.liveCounts }));
          card.appendChild(L.resultChart(S, vote, { live: true }));
        }
        card.appendChild(h("div", { className: "form-actions" }, h("button", {
          type: "button", className: "danger", text: S.closeVote,
          on: {
            click: function (event) {
              if (!window.confirm(L.fmt(S.closeVoteConfirm, { cast: vote.cast || 0, eligible: vote.eligible || 0 }))) return;
              act(event.currentTarget, "POST", API + "/votes/" + vote.id + "/close").then(upsertVote, function () {});
            },
          },
        })));
      } else {
        card.appendChild(L.resultChart(S, vote));
        card.appendChild(h("p", { className: "progress-label" }, L.fmtNodes(S.progress, {
          cast: h("strong", { text: vote.cast || 0 }), eligible: h("strong", { text: vote.eligible || 0 }),
        })));
      }
      list.appendChild(card);
    });
  }

  function loadVotes() {
    return L.api("GET", meetingUrl + "/votes").then(function (votes) {
      votes.forEach(function (v) { upsertVote(v); });
      renderVotes();
      var open = votes.filter(function (v) { return v.status === "open"; });
      if (panel && open.length) panel.show(open[open.length - 1]);
    }, function () {});
  }

  var panelNode = document.getElementById("vote-panel");
  var panel = panelNode ? new L.VotePanel({ node: panelNode, strings: S, canVote: config.canVote }) : null;

  client.on("vote.opened", function (data) {
    upsertVote(Object.assign({ status: "open", cast: 0 }, data));
    if (panel) panel.show(data);
  });
  client.on("vote.progress", function (data) {
    upsertVote({ vote_id: data.vote_id, cast: data.cast, eligible: data.eligible, counts: data.counts });
    if (panel) panel.progress(data);
  });
  client.on("vote.closed", function (data) {
    upsertVote({ vote_id: data.vote_id, status: "closed", counts: data.counts, passed: data.passed, cast: data.cast, eligible: data.eligible });
    // The result is in the list below; the chair's own panel makes way.
    if (panel && panel.vote && panel.vote.id === data.vote_id) panel.hide();
  });

  // --- the floor --------------------------------------------------------------------------------

  function loadSpeakers() {
    var item = currentItem();
    state.speakersItemId = item ? item.id : null;
    state.speakers = [];
    renderSpeakers();
    if (!item) return;
    L.api("GET", API + "/agenda/" + item.id + "/speakers").then(function (list) {
      if (state.speakersItemId !== item.id) return;
      state.speakers = list;
      renderSpeakers();
    }, function () {});
  }

  function renderSpeakers() {
    var card = $(".console-speakers");
    var item = currentItem();
    card.querySelector(".speakers-item").textContent = item ? L.fmt(S.itemNumber, { number: item.number }) : "";
    var box = card.querySelector(".speakers-list");
    box.textContent = "";
    if (!item) {
      box.appendChild(h("p", { className: "empty", text: S.noCurrentItem }));
      return;
    }
    var running = state.meeting.status === "in_progress";
    box.appendChild(L.speakersList(S, state.speakers, {
      showDone: true,
      actions: function (s) {
        if (s.state === "waiting") {
          return h("button", {
            type: "button", className: "small primary", text: S.giveFloor, disabled: !running,
            on: { click: function (event) { floor(event.currentTarget, s, "start"); } },
          });
        }
        if (s.state === "speaking") {
          return h("button", {
            type: "button", className: "small danger", text: S.endFloor, disabled: !running,
            on: { click: function (event) { floor(event.currentTarget, s, "finish"); } },
          });
        }
        return null;
      },
    }));
    L.startTimers();
  }

  function floor(button, speaker, action) {
    act(button, "POST", API + "/speakers/" + speaker.id + "/" + action).then(function (list) {
      if (state.speakersItemId === speaker.agenda_item_id) {
        state.speakers = list;
        renderSpeakers();
      }
    }, function () {});
  }

  client.on("speakers.changed", function (data) {
    if (data.agenda_item_id !== state.speakersItemId) return;
    state.speakers = data.speakers || [];
    renderSpeakers();
  });

  // --- the presenter ----------------------------------------------------------------------------

  var presenterCard = $(".console-presenter");
  var docSelect = presenterCard.querySelector("select[name=presenter_document]");
  var pageInput = presenterCard.querySelector("input[name=presenter_page]");

  function allDocuments() {
    var out = [];
    state.meeting.agenda.forEach(function (item) {
      item.documents.forEach(function (d) { out.push({ item: item, doc: d }); });
    });
    return out;
  }

  function chosenDocument() {
    var id = parseInt(docSelect.value, 10);
    return allDocuments().filter(function (e) { return e.doc.id === id; })[0] || null;
  }

  // follow: select what is on the tablets now (at load, after an event); otherwise keep the choice.
  function renderPresenter(follow) {
    var entries = allDocuments();
    var current = currentItem();
    var previous = docSelect.value;
    var shown = state.presenter.document_id;
    docSelect.textContent = "";
    // The current item's documents first, then the rest of the meeting's, item by item.
    var groups = {};
    var order = [];
    entries.forEach(function (e) {
      var key = e.item.id;
      if (!groups[key]) {
        groups[key] = h("optgroup", { attrs: { label: e.item.number + ". " + e.item.title } });
        order.push(key);
      }
      groups[key].appendChild(h("option", { value: String(e.doc.id), text: e.doc.title }));
    });
    if (current && groups[current.id]) {
      order.splice(order.indexOf(current.id), 1);
      order.unshift(current.id);
    }
    order.forEach(function (key) { docSelect.appendChild(groups[key]); });
    function has(id) {
      return entries.some(function (e) { return String(e.doc.id) === String(id); });
    }
    if (follow && shown && has(shown)) {
      docSelect.value = String(shown);
      pageInput.value = state.presenter.page;
    } else if (previous && has(previous)) {
      docSelect.value = previous;
    }
    var none = !entries.length;
    presenterCard.querySelectorAll("button, input, select").forEach(function (n) { n.disabled = none; });
    // No documents yet: the message alone, not an empty list and a page number that go nowhere.
    docSelect.closest("label").hidden = none;
    presenterCard.querySelector(".pager").hidden = none;
    presenterCard.querySelector(".hint").hidden = none;
    var chosen = chosenDocument();
    var pages = chosen && chosen.doc.version ? chosen.doc.version.page_count : 1;
    pageInput.max = pages;
    presenterCard.querySelector(".pager-count").textContent = L.fmt(S.ofPages, { count: pages });
    var now = presenterCard.querySelector(".presenter-now");
    now.textContent = "";
    if (none) {
      now.appendChild(h("span", { className: "muted", text: S.noDocuments }));
    } else if (shown) {
      var shownEntry = entries.filter(function (e) { return e.doc.id === shown; })[0];
      now.appendChild(L.fmtNodes(S.presenting, {
        title: h("strong", { text: shownEntry ? shownEntry.doc.title : "#" + shown }),
        page: h("strong", { text: state.presenter.page }),
      }));
      now.appendChild(document.createTextNode(" "));
      now.appendChild(h("a", {
        href: config.viewerUrl + shown + "?version=" + state.presenter.version + "&page=" + state.presenter.page,
        target: "_blank", rel: "noopener", text: S.openDocument,
      }));
    } else {
      now.appendChild(h("span", { className: "muted", text: S.notPresenting }));
    }
  }

  function present(page, button) {
    var chosen = chosenDocument();
    if (!chosen) return;
    var pages = chosen.doc.version.page_count;
    page = Math.max(1, Math.min(pages, page || 1));
    pageInput.value = page;
    act(button, "POST", meetingUrl + "/presenter", {
      document_id: chosen.doc.id,
      version: chosen.doc.version.number,
      page: page,
    }).then(function (shown) {
      state.presenter = shown;
      renderPresenter(true);
    }, function () {});
  }

  docSelect.addEventListener("change", function () {
    pageInput.value = 1;
    renderPresenter(false);
  });
  presenterCard.querySelector(".pager-prev").addEventListener("click", function (event) {
    present((parseInt(pageInput.value, 10) || 1) - 1, event.currentTarget);
  });
  presenterCard.querySelector(".pager-next").addEventListener("click", function (event) {
    present((parseInt(pageInput.value, 10) || 1) + 1, event.currentTarget);
  });
  presenterCard.querySelector(".pager-show").addEventListener("click", function (event) {
    present(parseInt(pageInput.value, 10) || 1, event.currentTarget);
  });

  client.on("presenter.page", function (data) {
    state.presenter = data;
    renderPresenter(true);
  });

  // --- events that change the meeting itself ----------------------------------------------------

  function reloadMeeting() {
    return L.api("GET", meetingUrl).then(function (meeting) {
      var current = state.meeting.current_agenda_item_id;
      state.meeting = meeting;
      renderAll();
      if (meeting.current_agenda_item_id !== current) loadSpeakers();
    }, function () {});
  }

  client.on("meeting.status", function (data) {
    state.meeting.status = data.status;
    renderAll();
    reloadMeeting(); // the attendance changes too: the chair counts as present once the session is open
  });
  client.on("agenda.changed", reloadMeeting);
  client.on("document.added", reloadMeeting);
  client.on("agenda.current", function (data) {
    if (!state.meeting.agenda.some(function (i) { return i.id === data.agenda_item_id; })) {
      state.meeting.current_agenda_item_id = data.agenda_item_id;
      reloadMeeting();
      return;
    }
    setCurrent(data.agenda_item_id);
  });
  client.on("attendance.changed", function (data) {
    var a = state.meeting.attendance;
    a.members_present = data.members_present;
    a.present = data.present;
    a.quorum = data.quorum;
    a.required = data.required;
    state.meeting.participants.forEach(function (p) {
      if (p.user_id === data.user_id) p.present = true;
    });
    renderAttendance();
  });

  function renderAll() {
    renderHead();
    renderAgenda();
    renderAttendance();
    renderVoteForm();
    renderVotes();
    renderSpeakers();
    renderPresenter();
  }

  // --- start ------------------------------------------------------------------------------------

  renderAll();
  loadSpeakers();
  var started = false;
  client.on("connection", function (data) {
    if (!data.online || started) return;
    started = true;
    loadVotes();
    L.api("GET", meetingUrl + "/presenter").then(function (shown) {
      state.presenter = shown;
      renderPresenter(true);
    }, function () {});
  });
  window.setTimeout(function () {
    if (!started) {
      started = true;
      loadVotes();
    }
  }, 5000);
  L.startTimers();
  client.start();
  window.ecabinetConsole = { client: client, state: state };
})();
