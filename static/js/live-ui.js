// The pieces the live pages share: the vote panel, the result chart, speakers' lists and timers.
//
// Plain script after live.js; adds to window.ecabinetLive: strings, fmt, h, optionLabel, duration,
// startTimers, progress, resultChart, speakersList, VotePanel, livePage. Every word shown comes from the
// page's JSON string blocks (rendered with _() in the reader's language), never from here.
(function () {
  "use strict";

  var live = window.ecabinetLive;

  // Merge the JSON blocks with these ids (later ones win) into one table of strings.
  function strings() {
    var out = {};
    for (var i = 0; i < arguments.length; i++) {
      var node = document.getElementById(arguments[i]);
      if (!node) continue;
      var table = JSON.parse(node.textContent);
      for (var key in table) out[key] = table[key];
    }
    return out;
  }

  // What a page that follows one meeting starts from: its configuration (the JSON block `configId`),
  // its strings, its root node and a LiveMeeting for the meeting (not started). Null without the block.
  function livePage(configId, stringsId, rootSelector) {
    var configNode = document.getElementById(configId);
    if (!configNode) return null;
    var config = JSON.parse(configNode.textContent);
    var S = strings("live-strings", stringsId);
    var root = document.querySelector(rootSelector);
    return {
      config: config,
      S: S,
      meetingUrl: config.api + "/meetings/" + config.meetingId,
      root: root,
      $: function (selector) {
        return root.querySelector(selector);
      },
      client: new live.LiveMeeting({
        meetingId: config.meetingId,
        eventsUrl: config.eventsUrl,
        seq: config.seq,
        strings: S,
      }),
    };
  }

  // "{cast} of {eligible}" with values; a value that is a DOM node is put in as that node (fmtNodes).
  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function fmtNodes(template, values) {
    var out = document.createDocumentFragment();
    String(template)
      .split(/(\{\w+\})/)
      .forEach(function (part) {
        var name = /^\{(\w+)\}$/.exec(part);
        if (name && Object.prototype.hasOwnProperty.call(values, name[1])) {
          var value = values[name[1]];
          out.appendChild(value instanceof Node ? value : document.createTextNode(String(value)));
        } else if (part) {
          out.appendChild(document.createTextNode(part));
        }
      });
    return out;
  }

  // h("p", {className: "x", text: "…", on: {click: fn}, attrs: {…}}, child, [children], "text")
  function h(tag, props) {
    var node = document.createElement(tag);
    props = props || {};
    for (var key in props) {
      var value = props[key];
      if (value === undefined || value === null || value === false) continue;
      if (key === "className") {
        node.className = value;
      } else if (key === "text") {
        node.textContent = value;
      } else if (key === "on") {
        for (var type in value) node.addEventListener(type, value[type]);
      } else if (key === "attrs") {
        for (var name in value) {
          var attr = value[name];
          if (attr !== null && attr !== undefined && attr !== false) node.setAttribute(name, attr);
        }
      } else if (key === "style") {
        // Through the CSSOM: the Content-Security-Policy refuses a style attribute, not this.
        node.style.cssText = value;
      } else {
        node[key] = value;
      }
    }
    append(node, Array.prototype.slice.call(arguments, 2));
    return node;
  }

  function append(node, children) {
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) append(node, child);
      else node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    });
  }

  function optionLabel(S, option) {
    return { yes: S.optionYes, no: S.optionNo, abstain: S.optionAbstain }[option] || option;
  }

  function majorityLabel(S, majority) {
    return { simple: S.majoritySimple, absolute: S.majorityAbsolute, two_thirds: S.majorityTwoThirds }[majority] || "";
  }

  // 75 000 ms → "1:15"; an hour and more → "1:02:05".
  function duration(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    var mm = hours ? String(minutes).padStart(2, "0") : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + String(seconds).padStart(2, "0");
  }

  // One clock for every timer on the page: <span data-since="iso" [data-until="iso"]>.
  function tickTimers() {
    var now = live.serverNow();
    document.querySelectorAll("[data-since]").forEach(function (node) {
      var since = live.parseTime(node.getAttribute("data-since"));
      var until = node.hasAttribute("data-until") ? live.parseTime(node.getAttribute("data-until")) : now;
      if (!isNaN(since)) node.textContent = duration(until - since);
    });
  }

  var ticking = false;
  function startTimers() {
    tickTimers();
    if (ticking) return;
    ticking = true;
    window.setInterval(tickTimers, 1000);
  }

  function timer(since, until) {
    var node = h("span", { className: "timer", attrs: { "data-since": since, "data-until": until || null } });
    node.textContent = duration((until ? live.parseTime(until) : live.serverNow()) - live.parseTime(since));
    return node;
  }

  // --- votes ------------------------------------------------------------------------------------

  function progress(S, cast, eligible) {
    var share = eligible > 0 ? Math.min(100, (100 * cast) / eligible) : 0;
    return h(
      "div",
      { className: "vote-progress" },
      h("div", {
        className: "meter",
        attrs: {
          role: "progressbar", "aria-valuemin": 0, "aria-valuemax": eligible, "aria-valuenow": cast,
          "aria-label": fmt(S.progress, { cast: cast, eligible: eligible }),
        },
      }, h("span", { style: "width: " + share.toFixed(1) + "%" })),
      h("p", { className: "progress-label" }, fmtNodes(S.progress, {
        cast: h("strong", { className: "progress-cast", text: cast }),
        eligible: h("strong", { className: "progress-eligible", text: eligible }),
      }))
    );
  }

  // What share of all eligible members the motion needs (drawn as a line on the "yes" bar).
  function threshold(vote) {
    if (vote.majority === "absolute") return 0.5;
    if (vote.majority === "two_thirds") return 2 / 3;
    return null;
  }

  function verdict(S, passed) {
    if (passed === true) return h("p", { className: "verdict passed", text: "✓ " + S.passed });
    if (passed === false) return h("p", { className: "verdict failed", text: "✗ " + S.failed });
    return null;
  }

  // Bars per option as a share of everyone eligible, then those who did not vote; plain HTML/CSS.
  function resultChart(S, vote, options) {
    options = options || {};
    var counts = vote.counts || {};
    var eligible = vote.eligible || 0;
    var cast = 0;
    vote.options.forEach(function (o) { cast += counts[o] || 0; });
    var rows = vote.options.map(function (option) {
      return { key: option, label: optionLabel(S, option), count: counts[option] || 0 };
    });
    rows.push({ key: "none", label: S.notVoted, count: Math.max(0, eligible - cast) });
    var line = threshold(vote);
    var chart = h("div", { className: "result-chart" + (options.live ? " live" : "") });
    rows.forEach(function (row) {
      var share = eligible > 0 ? (100 * row.count) / eligible : 0;
      chart.appendChild(h(
        "div",
        { className: "result-row opt-" + (row.key === "yes" || row.key === "no" || row.key === "abstain" || row.key === "none" ? row.key : "other") },
        h("span", { className: "result-label", text: row.label }),
        h(
          "span",
          { className: "result-track" },
          h("span", { className: "result-bar", style: "width: " + share.toFixed(1) + "%" }),
          row.key === "yes" && line !== null
            ? h("span", { className: "result-threshold", style: "left: " + (100 * line).toFixed(2) + "%", attrs: { title: majorityLabel(S, vote.majority) } })
            : null
        ),
        h("span", { className: "result-count" }, h("strong", { text: row.count }),
          eligible > 0 ? h("small", { text: " " + Math.round(share) + "%" }) : null)
      ));
    });
    var wrap = h("div", { className: "result" }, chart);
    if (!options.live) {
      var decided = verdict(S, vote.passed);
      if (decided) wrap.insertBefore(decided, chart);
    }
    return wrap;
  }

  // --- speakers ---------------------------------------------------------------------------------

  var SPEAKER_RANK = { speaking: 0, waiting: 1, done: 2 };

  // The API lists requests in the order they were made; the room sees who speaks, then the queue in
  // order of asking, then who has spoken, in the order they had the floor.
  function asTheRoomSeesIt(speakers) {
    return speakers.slice().sort(function (a, b) {
      var at = a.started_at || a.requested_at || "";
      var bt = b.started_at || b.requested_at || "";
      return SPEAKER_RANK[a.state] - SPEAKER_RANK[b.state] || (at < bt ? -1 : at > bt ? 1 : 0) || a.id - b.id;
    });
  }

  // The list as the room sees it: who speaks (with a running timer), the queue, who has spoken.
  // actions(request) → buttons for a row (the console's give/end floor), or nothing.
  function speakersList(S, speakers, options) {
    options = options || {};
    var list = h("ol", { className: "speakers" });
    var place = 0;
    asTheRoomSeesIt(speakers).forEach(function (s) {
      if (s.state === "done" && !options.showDone) return;
      if (s.state === "waiting") place += 1;
      var mine = options.userId && s.user_id === options.userId;
      list.appendChild(h(
        "li",
        { className: "speaker state-" + s.state + (mine ? " mine" : ""), attrs: { "data-speaker-id": s.id } },
        h("span", { className: "speaker-place", attrs: { "aria-hidden": "true" } },
          s.state === "speaking" ? "▶" : s.state === "waiting" ? String(place) : "✓"),
        h("span", { className: "speaker-who" },
          h("strong", { text: s.full_name }),
          s.title ? h("small", { text: s.title }) : null),
        h("span", { className: "speaker-state" },
          s.state === "speaking" ? [h("span", { className: "state-label", text: S.speaking }), timer(s.started_at)]
            : s.state === "done" && s.started_at ? [h("span", { className: "state-label", text: S.spoke }), timer(s.started_at, s.finished_at)]
            : h("span", { className: "state-label", text: S.waiting })),
        options.actions ? h("span", { className: "speaker-actions" }, options.actions(s)) : null
      ));
    });
    if (!list.children.length) return h("p", { className: "empty", text: S.noSpeakers });
    return list;
  }

  // --- the vote panel ---------------------------------------------------------------------------
  // One vote at a time, from "open" to its result: choose → confirm → cast → result.
  // options: {node, strings, canVote, onShow(vote)}

  function VotePanel(options) {
    this.node = options.node;
    this.S = options.strings;
    this.canVote = !!options.canVote;
    this.onShow = options.onShow || function () {};
    this.vote = null;
    this.stage = null;
    this.choice = null;
    this.error = null;
    this.castId = null; // the cast's client_id, the same for every try of it
  }

  // A vote from GET /votes/<id> or from a vote.opened event (whose id is `vote_id`).
  VotePanel.prototype.show = function (vote) {
    var id = vote.id || vote.vote_id;
    var same = this.vote && this.vote.id === id;
    // An older vote does not push aside a newer one that is still open.
    if (this.vote && !same && this.vote.id > id && this.vote.status !== "closed") return;
    var merged = {};
    var key;
    if (same) for (key in this.vote) merged[key] = this.vote[key];
    for (key in vote) merged[key] = vote[key];
    merged.id = id;
    // What we know can only move forward: closed stays closed, the count does not fall back.
    merged.status = same && this.vote.status === "closed" ? "closed" : vote.status || (same ? this.vote.status : "open");
    merged.has_voted = !!(vote.has_voted || (same && this.vote.has_voted));
    merged.cast = Math.max(vote.cast || 0, same ? this.vote.cast || 0 : 0);
    this.vote = merged;
    if (!same) {
      this.choice = null;
      this.error = null;
      this.castId = null;
    }
    if (merged.status === "closed") this.stage = "closed";
    else if (merged.has_voted) this.stage = "voted";
    else if (!same || !this.stage) this.stage = this.canVote ? "choose" : "watch";
    this.render();
    if (!same) this.onShow(merged);
  };

  VotePanel.prototype.progress = function (data) {
    if (!this.vote || this.vote.id !== data.vote_id) return;
    if (this.vote.status === "closed" || data.cast < (this.vote.cast || 0)) return;
    this.vote.cast = data.cast;
    this.vote.eligible = data.eligible;
    if (data.counts) this.vote.counts = data.counts;
    // Only the progress moves: a finger on a button mid-tap keeps its button.
    var old = this.node.querySelector(".vote-progress");
    if (old) old.parentNode.replaceChild(progress(this.S, data.cast, data.eligible), old);
    var counts = this.node.querySelector(".vote-live-counts");
    if (counts && data.counts) counts.parentNode.replaceChild(this.liveCounts(), counts);
  };

  VotePanel.prototype.closed = function (data) {
    if (!this.vote || this.vote.id !== data.vote_id) {
      return; // a vote this panel does not show (opened before the page, already dismissed)
    }
    this.vote.status = "closed";
    this.vote.counts = data.counts;
    this.vote.passed = data.passed;
    if (data.cast !== undefined) this.vote.cast = data.cast;
    if (data.eligible !== undefined) this.vote.eligible = data.eligible;
    this.stage = "closed";
    this.error = null;
    this.render();
  };

  VotePanel.prototype.hide = function () {
    this.vote = null;
    this.stage = null;
    this.node.hidden = true;
    this.node.textContent = "";
  };

  VotePanel.prototype.liveCounts = function () {
    return h("div", { className: "vote-live-counts" }, resultChart(this.S, this.vote, { live: true }));
  };

  VotePanel.prototype.render = function () {
    var S = this.S;
    var vote = this.vote;
    var self = this;
    var node = this.node;
    node.textContent = "";
    node.hidden = false;
    node.className = node.className.replace(/\bstage-\S+/g, "").trim() + " stage-" + this.stage;
    node.appendChild(h(
      "div",
      { className: "vote-head" },
      h("span", { className: "vote-kicker", text: this.stage === "closed" ? S.resultHeading : S.voteHeading }),
      vote.secret ? h("span", { className: "badge secret", text: S.secretVote }) : null
    ));
    node.appendChild(h("h2", { className: "vote-question", text: vote.question }));
    var rule = majorityLabel(S, vote.majority);
    if (rule) node.appendChild(h("p", { className: "vote-rule", text: rule }));

    if (this.stage === "choose") {
      node.appendChild(h("div", { className: "vote-options", attrs: { role: "group", "aria-label": S.voteHeading } },
        vote.options.map(function (option) {
          return h("button", {
            type: "button",
            className: "vote-option opt-" + (["yes", "no", "abstain"].indexOf(option) >= 0 ? option : "other"),
            attrs: { "data-choice": option },
            text: optionLabel(S, option),
            on: { click: function () { self.choose(option); } },
          });
        })));
    } else if (this.stage === "confirm" || this.stage === "sending") {
      var sending = this.stage === "sending";
      node.appendChild(h(
        "div",
        { className: "vote-confirm" },
        h("p", { className: "confirm-question" }, fmtNodes(S.confirmVote, {
          choice: h("strong", { className: "opt-" + this.choice, text: optionLabel(S, this.choice) }),
        })),
        h("p", { className: "hint", text: S.voteIsFinal }),
        h("div", { className: "confirm-actions" },
          h("button", {
            type: "button", className: "primary huge vote-confirm-yes", disabled: sending,
            text: sending ? S.sending : S.confirm, on: { click: function () { self.cast(); } },
          }),
          h("button", {
            type: "button", className: "huge vote-confirm-no", disabled: sending, text: S.cancel,
            on: { click: function () { self.stage = "choose"; self.choice = null; self.error = null; self.render(); } },
          }))
      ));
    } else if (this.stage === "voted") {
      node.appendChild(h(
        "div",
        { className: "vote-done" },
        h("p", { className: "voted-mark", text: "✓ " + S.voted }),
        this.choice && !vote.secret ? h("p", { className: "voted-choice" }, fmtNodes(S.yourChoice, {
          choice: h("strong", { text: optionLabel(S, this.choice) }),
        })) : null,
        vote.secret ? h("p", { className: "hint", text: S.secretNote }) : null
      ));
    } else if (this.stage === "watch") {
      node.appendChild(h("p", { className: "vote-watch", text: S.notEligible }));
    }

    if (this.error) node.appendChild(h("p", { className: "vote-error", attrs: { role: "alert" }, text: this.error }));

    if (this.stage === "closed") {
      node.appendChild(resultChart(S, vote));
      node.appendChild(h("p", { className: "progress-label" }, fmtNodes(S.progress, {
        cast: h("strong", { text: vote.cast }), eligible: h("strong", { text: vote.eligible }),
      })));
      node.appendChild(h("div", { className: "vote-foot" }, h("button", {
        type: "button", className: "small vote-dismiss", text: S.close, on: { click: function () { self.hide(); } },
      })));
    } else {
      node.appendChild(progress(S, vote.cast || 0, vote.eligible || 0));
      if (vote.counts && this.showLiveCounts) node.appendChild(this.liveCounts());
    }
  };

  VotePanel.prototype.choose = function (option) {
    this.choice = option;
    this.stage = "confirm";
    this.error = null;
    this.render();
    var confirm = this.node.querySelector(".vote-confirm-yes");
    if (confirm) confirm.focus();
  };

  VotePanel.prototype.cast = function () {
    var self = this;
    var vote = this.vote;
    this.stage = "sending";
    this.render();
    // Sent again after a lost answer, the cast carries the same id, and the server answers with the
    // cast it recorded rather than "already voted".
    this.castId = this.castId || window.ecabinet.uuid();
    live.api("POST", "/api/v1/votes/" + vote.id + "/cast", { choice: this.choice, client_id: this.castId }).then(
      function (answer) {
        if (!self.vote || self.vote.id !== vote.id) return;
        self.vote.has_voted = true;
        if (answer && answer.choice) self.choice = answer.choice; // the recorded choice, on a retry
        if (answer && typeof answer.cast === "number" && answer.cast > (self.vote.cast || 0)) self.vote.cast = answer.cast;
        self.stage = self.vote.status === "closed" ? "closed" : "voted";
        self.render();
      },
      function (error) {
        if (!self.vote || self.vote.id !== vote.id) return;
        var S = self.S;
        if (error.code === "already_voted" || (error.status === 409 && error.code === "conflict")) {
          self.vote.has_voted = true; // another device of the same member came first
          self.stage = "voted";
          self.choice = null;
          self.error = null;
        } else if (error.code === "vote_not_open") {
          self.stage = "watch";
          self.error = S.voteNotOpen;
        } else {
          self.stage = "confirm";
          self.error =
            error.code === "not_checked_in" ? S.checkInFirst
            : error.status === 0 ? S.castOffline
            : error.status === 401 ? S.loggedOut
            : fmt(S.castRefused, { message: error.message || error.code });
        }
        self.render();
      }
    );
  };

  live.strings = strings;
  live.fmt = fmt;
  live.fmtNodes = fmtNodes;
  live.h = h;
  live.optionLabel = optionLabel;
  live.majorityLabel = majorityLabel;
  live.duration = duration;
  live.timer = timer;
  live.startTimers = startTimers;
  live.progress = progress;
  live.resultChart = resultChart;
  live.speakersList = speakersList;
  live.VotePanel = VotePanel;
  live.livePage = livePage;
})();
