// The member's tablet during the session (templates/meetings/meeting.html): the current item, attendance
// and quorum, the vote panel, requests to speak and following the presenter, all kept live by
// static/js/live.js. Without this script the page still shows the meeting as it was when loaded.
(function () {
  "use strict";

  var L = window.ecabinetLive;
  var configNode = document.getElementById("meeting-live-config");
  if (!L || !L.VotePanel || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var S = L.strings("live-strings", "meeting-strings");
  var API = config.api;
  var meetingUrl = API + "/meetings/" + config.meetingId;

  var client = new L.LiveMeeting({
    meetingId: config.meetingId,
    eventsUrl: config.eventsUrl,
    seq: config.seq,
    strings: S,
  });

  function failed(error) {
    return L.fmt(S.failedAction, { message: error.message || error.code });
  }

  // --- changes to the page's structure: reload, unless the reader is busy -----------------------

  var notice = document.querySelector(".live-notice");
  var editing = false;
  document.addEventListener("input", function (event) {
    if (!event.target.closest || !event.target.closest(".vote-panel")) editing = true;
  });

  function busy() {
    return editing || panel.stage === "confirm" || panel.stage === "sending" || presenter.isOpen();
  }

  function reloadSoon() {
    if (busy()) {
      if (notice) notice.hidden = false;
    } else {
      window.location.reload();
    }
  }

  // A new item, a new document, the session opening or closing: the page is redrawn by the server.
  client.on("agenda.changed", reloadSoon);
  client.on("document.added", reloadSoon);
  client.on("meeting.status", reloadSoon);
  // The table of everyone's positions (chair, secretariat) follows the members as they answer.
  if (document.querySelector(".positions-table")) client.on("positions.changed", reloadSoon);

  // --- the current item -------------------------------------------------------------------------

  var banner = document.querySelector(".now-banner");

  // The agenda points at one item, or at none (`itemId` null).
  function markCurrent(itemId) {
    config.currentItemId = itemId;
    document.querySelectorAll(".agenda-item.current").forEach(function (node) {
      node.classList.remove("current");
      node.removeAttribute("aria-current");
    });
  }

  function setCurrent(itemId) {
    var item = document.getElementById("item-" + itemId);
    if (!item) {
      reloadSoon(); // an item this page does not have yet
      return;
    }
    markCurrent(itemId);
    item.classList.add("current");
    item.setAttribute("aria-current", "step");
    var number = item.querySelector(".num").textContent.trim();
    var title = item.querySelector(".item-title").firstChild.textContent.trim();
    if (banner) {
      banner.hidden = false;
      banner.classList.remove("hidden-item");
      banner.setAttribute("href", "#item-" + itemId);
      banner.querySelector(".num").textContent = number + ".";
      banner.querySelector(".title").textContent = title;
      banner.classList.remove("flash-in");
      void banner.offsetWidth; // restart the animation
      banner.classList.add("flash-in");
    }
    speakers.load(itemId, number);
  }

  client.on("agenda.current", function (data) {
    setCurrent(data.agenda_item_id);
  });

  // The meeting moved to an item this reader may not see (they got a `redacted` event): the agenda
  // stops pointing at the item before it, and the banner says a confidential item is under way.
  function showHiddenItem() {
    markCurrent(null);
    if (banner) {
      banner.hidden = false;
      banner.classList.add("hidden-item");
      banner.removeAttribute("href");
      banner.querySelector(".num").textContent = "";
      banner.querySelector(".title").textContent = S.hiddenItem;
    }
    var card = document.getElementById("speakers-card");
    if (card) card.hidden = true;
  }

  // Redacted events come in bursts (every cast of a confidential vote): ask once they settle.
  var stateTimer = null;
  client.on("redacted", function () {
    window.clearTimeout(stateTimer);
    stateTimer = window.setTimeout(function () {
      L.api("GET", meetingUrl).then(function (meeting) {
        if (meeting.current_agenda_item_hidden) {
          showHiddenItem();
        } else if (meeting.current_agenda_item_id && meeting.current_agenda_item_id !== config.currentItemId) {
          setCurrent(meeting.current_agenda_item_id);
        }
      }, function () {
        // Offline: the catch-up after reconnecting brings the same events, and with them this question.
      });
    }, 300);
  });

  // --- attendance and quorum --------------------------------------------------------------------

  var attendance = document.querySelector(".attendance");

  client.on("attendance.changed", function (data) {
    if (attendance) {
      attendance.querySelector(".members-present").textContent = data.members_present;
      attendance.querySelector(".count-label").textContent = L.fmt(S.membersPresent, {
        present: data.members_present,
        members: config.members,
      });
      var state = attendance.querySelector(".quorum-state");
      if (state) {
        state.classList.remove("neutral");
        state.textContent = data.quorum ? S.quorumReached : L.fmt(S.quorumShort, { required: data.required });
      }
      attendance.classList.toggle("quorum-ok", !!data.quorum);
      attendance.classList.toggle("quorum-short", !data.quorum);
      if (data.user_id === config.userId) {
        var form = attendance.querySelector(".checkin-form");
        var done = attendance.querySelector(".checked-in");
        if (form) form.hidden = true;
        if (done) done.hidden = false;
      }
    }
    var person = document.querySelector('.people li[data-user-id="' + data.user_id + '"]');
    if (person) {
      person.classList.remove("absent");
      person.classList.add("present");
      person.querySelector(".tick").textContent = "✓";
      var hidden = person.querySelector(".visually-hidden");
      if (hidden) hidden.textContent = S.present;
    }
  });

  // --- the vote ---------------------------------------------------------------------------------

  var panelNode = document.getElementById("vote-panel");
  var panel = new L.VotePanel({
    node: panelNode,
    strings: S,
    canVote: config.canVote,
    onShow: function () {
      // A vote comes before the document: the frame closes (following goes on for the next page).
      if (presenter.isOpen()) presenter.close();
      panelNode.classList.remove("flash-in");
      void panelNode.offsetWidth;
      panelNode.classList.add("flash-in");
      if (panelNode.scrollIntoView) panelNode.scrollIntoView({ behavior: "smooth", block: "start" });
    },
  });

  client.on("vote.opened", function (data) {
    panel.show(data);
  });
  client.on("vote.progress", function (data) {
    panel.progress(data);
  });
  client.on("vote.closed", function (data) {
    panel.closed(data);
  });

  // The vote already open when the page loaded. Asked once the event log has caught up, so the list
  // is at least as new as every event applied, and later events move it on.
  var votesLoaded = false;
  function loadVotes() {
    if (votesLoaded) return;
    votesLoaded = true;
    L.api("GET", meetingUrl + "/votes").then(function (votes) {
      var open = votes.filter(function (v) { return v.status === "open"; });
      if (open.length) panel.show(open[open.length - 1]);
    }, function () { votesLoaded = false; });
  }

  // --- requests to speak on the current item ----------------------------------------------------

  var speakersCard = document.getElementById("speakers-card");
  var speakers = {
    itemId: null,
    list: [],
    load: function (itemId, number) {
      var self = this;
      this.itemId = itemId;
      this.list = [];
      if (!speakersCard) return;
      speakersCard.hidden = !itemId;
      if (!itemId) return;
      if (number) speakersCard.querySelector(".speakers-item").textContent = L.fmt(S.itemNumber, { number: number });
      this.render();
      L.api("GET", API + "/agenda/" + itemId + "/speakers").then(
        function (list) {
          if (self.itemId !== itemId) return;
          self.list = list;
          self.render();
        },
        function (error) {
          // Staff who do not take part see no list (the API keeps it for participants).
          if (error.status === 403 || error.status === 404) speakersCard.hidden = true;
        }
      );
    },
    render: function () {
      if (!speakersCard) return;
      var list = speakersCard.querySelector(".speakers-list");
      list.textContent = "";
      list.appendChild(L.speakersList(S, this.list, { userId: config.userId }));
      var mine = this.list.filter(function (s) { return s.user_id === config.userId && s.state !== "done"; })[0];
      var ask = speakersCard.querySelector(".speak-request");
      var withdraw = speakersCard.querySelector(".speak-withdraw");
      var status = speakersCard.querySelector(".speak-mine");
      if (ask) ask.hidden = !!mine;
      if (withdraw) withdraw.hidden = !(mine && mine.state === "waiting");
      if (mine && mine.state === "speaking") {
        status.hidden = false;
        status.className = "speak-mine speaking";
        status.textContent = S.youSpeak;
      } else if (mine) {
        var waiting = this.list.filter(function (s) { return s.state === "waiting"; });
        status.hidden = false;
        status.className = "speak-mine";
        status.textContent = L.fmt(S.yourPlace, { place: waiting.indexOf(mine) + 1 });
      } else {
        status.hidden = true;
      }
      L.startTimers();
    },
    send: function (method, button) {
      var self = this;
      var itemId = this.itemId;
      button.disabled = true;
      L.api(method, API + "/agenda/" + itemId + "/speakers").then(
        function (list) {
          button.disabled = false;
          if (self.itemId !== itemId) return;
          self.list = list;
          self.render();
        },
        function (error) {
          button.disabled = false;
          window.alert(failed(error));
        }
      );
    },
  };

  if (speakersCard) {
    var ask = speakersCard.querySelector(".speak-request");
    var withdraw = speakersCard.querySelector(".speak-withdraw");
    if (ask) ask.addEventListener("click", function () { speakers.send("POST", ask); });
    if (withdraw) withdraw.addEventListener("click", function () { speakers.send("DELETE", withdraw); });
  }

  client.on("speakers.changed", function (data) {
    if (data.agenda_item_id !== speakers.itemId) return;
    speakers.list = data.speakers || [];
    speakers.render();
  });

  // --- following the presenter ------------------------------------------------------------------
  // On: each page the presenter turns to opens here, in the document viewer, in a frame over the
  // meeting page; "back to where I was" closes it (and stops following) with the page as it was.

  var frame = document.querySelector(".presenter-frame");
  var toggle = document.querySelector(".follow-toggle");
  var followKey = "ecabinet.follow." + config.meetingId;
  var documents = {};
  (config.documents || []).forEach(function (d) { documents[d.id] = d.title; });

  var presenter = {
    following: false,
    returnFocus: null,
    isOpen: function () {
      return !!frame && !frame.hidden;
    },
    setFollowing: function (on) {
      this.following = on;
      try {
        window.localStorage.setItem(followKey, on ? "1" : "0");
      } catch (error) { /* private browsing: the choice lasts for this page only */ }
      if (toggle) {
        toggle.setAttribute("aria-pressed", on ? "true" : "false");
        var state = document.querySelector(".follow-state");
        if (state) state.textContent = on ? S.followOn : "";
      }
    },
    show: function (state) {
      if (!frame || !state || !state.document_id) return;
      var url = config.viewerUrl + state.document_id + "?version=" + state.version + "&page=" + state.page;
      var view = frame.querySelector(".presenter-view");
      if (!this.isOpen()) this.returnFocus = document.activeElement;
      frame.querySelector(".presenter-title").textContent = documents[state.document_id] || S.document;
      frame.querySelector(".presenter-page").textContent = L.fmt(S.presenterPage, { page: state.page });
      frame.querySelector(".presenter-open").setAttribute("href", url);
      if (view.getAttribute("src") !== url) view.setAttribute("src", url);
      frame.hidden = false;
      document.documentElement.classList.add("presenter-open-page");
    },
    close: function () {
      if (!frame) return;
      frame.hidden = true;
      frame.querySelector(".presenter-view").setAttribute("src", "about:blank");
      document.documentElement.classList.remove("presenter-open-page");
      if (this.returnFocus && this.returnFocus.focus) this.returnFocus.focus();
    },
    // "Back to where I was": the reader takes over, so the presenter no longer turns their pages.
    back: function () {
      this.close();
      this.setFollowing(false);
    },
    fetchAndShow: function () {
      var self = this;
      L.api("GET", meetingUrl + "/presenter").then(function (state) {
        if (self.following) self.show(state);
      }, function () {});
    },
  };

  if (toggle) {
    toggle.addEventListener("click", function () {
      presenter.setFollowing(!presenter.following);
      if (presenter.following) presenter.fetchAndShow();
    });
    var saved = null;
    try {
      saved = window.localStorage.getItem(followKey);
    } catch (error) { /* no storage: starts off */ }
    presenter.setFollowing(saved === "1");
  }
  if (frame) {
    frame.querySelector(".presenter-back").addEventListener("click", function () { presenter.back(); });
    var view = frame.querySelector(".presenter-view");
    view.addEventListener("load", function () {
      var inner;
      try {
        inner = view.contentWindow.location;
      } catch (error) {
        return;
      }
      if (inner.href === "about:blank") return;
      if (inner.pathname.indexOf(config.viewerUrl) !== 0) {
        // A link out of the viewer ("back to the meeting", a login page): not for the frame.
        var href = inner.href;
        presenter.back();
        if (inner.pathname !== window.location.pathname) window.location.href = href;
        return;
      }
      // The viewer sits under the frame's own bar here; the site's top bar above it would be twice.
      var doc = view.contentWindow.document;
      var style = doc.createElement("style");
      style.textContent = ".topbar { display: none; }";
      doc.head.appendChild(style);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && presenter.isOpen()) presenter.back();
    });
  }

  client.on("presenter.page", function (data) {
    if (presenter.following) presenter.show(data);
  });

  // --- start ------------------------------------------------------------------------------------

  client.on("connection", function (data) {
    if (data.online) {
      loadVotes();
      if (presenter.following && !presenter.isOpen()) presenter.fetchAndShow();
    }
  });
  if (config.currentItemId) {
    var current = document.getElementById("item-" + config.currentItemId);
    speakers.load(config.currentItemId, current ? current.querySelector(".num").textContent.trim() : null);
  }
  L.startTimers();
  client.start();
  // Without a socket at all (none after a while), the open vote is still shown.
  window.setTimeout(loadVotes, 5000);
  window.ecabinetMeeting = { client: client, panel: panel, speakers: speakers, presenter: presenter };
})();
