// The live session: one meeting's events over Socket.IO, applied strictly in `seq` order.
//
// Plain script (no build step), after static/vendor/socket.io/socket.io.min.js, which defines
// window.io. It defines window.ecabinetLive = {LiveMeeting, api, serverNow, parseTime}; api and serverNow
// are static/js/api.js's, here for the live pages' scripts that know only this.
//
//   var live = new ecabinetLive.LiveMeeting({meetingId: 7, eventsUrl: "/api/v1/meetings/7/events",
//                                            seq: 41, strings: {...}});
//   live.on("vote.opened", function (data, event) { ... });
//   live.start();
//
// The page was rendered at event `seq`; everything after it arrives here exactly once and in order:
// the server sends each event once to the socket, the socket may deliver two of them crosswise (two
// requests commit one after the other but emit from two threads), a reconnect loses whatever was
// sent meanwhile. So events wait in a buffer until their predecessor has been applied, and on every
// (re)connect — and whenever a gap lasts — the client asks /events?after=<last seq> for the rest.
// An event can also be lost with no later one to show the gap (Redis between the server's processes
// was down): every few seconds the server's `heartbeat` says the meeting's latest seq, and a client
// still behind it a moment later asks for the rest.
(function () {
  "use strict";

  var GAP_WAIT_MS = 600; // how long an early event waits for its predecessor before we ask for it
  var PAGE = 500; // events per catch-up request (the server answers at most 1000)

  var api = window.ecabinet.api; // static/js/api.js

  function parseTime(value) {
    if (!value) return NaN;
    // Safari parses at most three decimals of a second; the server writes microseconds.
    return Date.parse(String(value).replace(/(\.\d{3})\d+/, "$1"));
  }

  // --- the offline banner -----------------------------------------------------------------------

  function Banner(text) {
    var node = document.createElement("div");
    node.className = "live-offline";
    node.setAttribute("role", "alert");
    node.hidden = true;
    var icon = document.createElement("span");
    icon.className = "live-offline-icon";
    icon.setAttribute("aria-hidden", "true");
    var label = document.createElement("span");
    label.className = "live-offline-text";
    label.textContent = text;
    node.appendChild(icon);
    node.appendChild(label);
    document.body.appendChild(node);
    this.node = node;
    this.label = label;
  }

  Banner.prototype.show = function (text) {
    if (text) this.label.textContent = text;
    this.node.hidden = false;
    document.documentElement.classList.add("is-offline");
  };

  Banner.prototype.hide = function () {
    this.node.hidden = true;
    document.documentElement.classList.remove("is-offline");
  };

  // --- the client -----------------------------------------------------------------------------

  function LiveMeeting(options) {
    this.meetingId = options.meetingId;
    this.eventsUrl = options.eventsUrl;
    this.seq = options.seq || 0;
    this.socketPath = options.socketPath || "/socket.io";
    this.strings = options.strings || {};
    this.handlers = {};
    this.early = {}; // seq → event that came before its predecessor
    this.earlyCount = 0;
    this.catchUpRunning = null;
    this.catchUpWanted = false;
    this.gapTimer = null;
    this.gapWait = GAP_WAIT_MS;
    this.behindTimer = null;
    this.online = false;
    this.stopped = false;
    this.leaving = false;
    this.socket = null;
    this.banner = new Banner(this.strings.offline || "Offline – reconnecting…");
  }

  // handler(data, event); type "*" hears every applied event, "user" the caller's personal ones.
  LiveMeeting.prototype.on = function (type, handler) {
    (this.handlers[type] = this.handlers[type] || []).push(handler);
    return this;
  };

  LiveMeeting.prototype.start = function () {
    var self = this;
    if (typeof window.io !== "function") {
      // The vendored client did not load: the page still works, it just is not live.
      this.banner.show(this.strings.offline);
      return this;
    }
    var socket = window.io({
      path: this.socketPath,
      transports: ["websocket", "polling"],
      tryAllTransports: true, // a proxy that drops websockets: long-polling instead
      reconnectionDelayMax: 10000,
    });
    this.socket = socket;
    socket.on("connect", function () {
      self.join();
    });
    socket.on("event", function (event) {
      self.receive(event);
    });
    socket.on("heartbeat", function (beat) {
      self.heartbeat(beat);
    });
    socket.on("disconnect", function (reason) {
      self.setOnline(false);
      // The server dropping us on purpose stops Socket.IO's own retries; a tablet wants back in.
      if (reason === "io server disconnect" && !self.stopped) socket.connect();
    });
    socket.on("connect_error", function (error) {
      if (error && error.data && error.data.code === "device_wiped") {
        self.stopped = true;
        window.ecabinet.wiped();
        return;
      }
      self.setOnline(false);
      if (!socket.active && !self.stopped) {
        // Refused at connect: the login has ended. The API says so too; ask it, then tell the reader.
        api("GET", self.eventsUrl + "?after=" + self.seq + "&limit=1").then(
          function () {
            window.setTimeout(function () { if (!self.stopped) socket.connect(); }, 5000);
          },
          function (error) {
            if (error.status === 401) self.fail(self.strings.loggedOut);
            else window.setTimeout(function () { if (!self.stopped) socket.connect(); }, 5000);
          }
        );
      }
    });
    // The browser knows before the socket's heartbeat does.
    window.addEventListener("offline", function () { self.setOnline(false); });
    // A page being left closes its socket; that is no reason to alarm anyone.
    window.addEventListener("pagehide", function () { self.leaving = true; });
    window.addEventListener("pageshow", function (event) {
      self.leaving = false;
      if (event.persisted && !self.stopped) {
        // Back from the back/forward cache: whatever happened meanwhile is in the log.
        if (socket.connected) self.catchUp(); else socket.connect();
      }
    });
    return this;
  };

  LiveMeeting.prototype.join = function () {
    var self = this;
    var socket = this.socket;
    socket.timeout(10000).emit("join", { meeting_id: this.meetingId }, function (err, ack) {
      if (err) {
        // No answer: start over with a fresh connection.
        socket.disconnect();
        window.setTimeout(function () { if (!self.stopped) socket.connect(); }, 1000);
        return;
      }
      if (!ack || !ack.ok) {
        self.fail(self.strings.gone);
        return;
      }
      self.catchUp().then(function (ok) {
        if (ok && socket.connected) self.setOnline(true);
      });
    });
  };

  LiveMeeting.prototype.receive = function (event) {
    if (!event || typeof event !== "object") return;
    if (event.meeting_id === null || event.meeting_id === undefined) {
      this.emit("user", event); // a ballot, an annotation saved on another device: not in this log
      return;
    }
    if (event.meeting_id !== this.meetingId || typeof event.seq !== "number") return;
    if (event.seq <= this.seq || this.early[event.seq]) return; // applied already, or waiting
    this.early[event.seq] = event;
    this.earlyCount += 1;
    this.drain();
    this.watchGap();
  };

  // The server's latest seq: events up to it are committed. One may still be on its way (sent just
  // before), so we wait as for a gap before asking for what has not come.
  LiveMeeting.prototype.heartbeat = function (beat) {
    if (!beat || beat.meeting_id !== this.meetingId || typeof beat.seq !== "number") return;
    if (beat.seq <= this.seq || this.behindTimer || this.stopped) return;
    var self = this;
    var latest = beat.seq;
    this.behindTimer = window.setTimeout(function () {
      self.behindTimer = null;
      if (self.seq < latest && !self.stopped) self.catchUp();
    }, GAP_WAIT_MS);
  };

  // Events wait for a missing predecessor a moment (it may just be late), then we ask for it. The
  // log has no gaps, so asking fills it; should it not, we ask again less and less often.
  LiveMeeting.prototype.watchGap = function () {
    if (!this.earlyCount) this.gapWait = GAP_WAIT_MS;
    if (!this.earlyCount || this.gapTimer || this.stopped) return;
    var self = this;
    this.gapTimer = window.setTimeout(function () {
      self.gapTimer = null;
      if (!self.earlyCount) return;
      self.gapWait = Math.min(self.gapWait * 2, 30000);
      self.catchUp();
    }, this.gapWait);
  };

  LiveMeeting.prototype.drain = function () {
    var next;
    while ((next = this.early[this.seq + 1])) {
      delete this.early[this.seq + 1];
      this.earlyCount -= 1;
      this.seq = next.seq;
      // A redacted event is about something this reader may not see: it moves the count on, and a
      // page that shows the meeting's state may ask the server what it now looks like to this reader.
      if (next.type === "redacted") {
        this.emit("redacted", next);
      } else {
        this.emit(next.type, next);
        this.emit("*", next);
      }
    }
  };

  LiveMeeting.prototype.emit = function (type, event) {
    var list = this.handlers[type] || [];
    for (var i = 0; i < list.length; i++) {
      try {
        list[i](event.data || {}, event);
      } catch (error) {
        // One broken handler must not stop the others, nor the events after it.
        if (window.console) window.console.error(error);
      }
    }
  };

  // Fetch and apply everything after the last applied seq. Resolves true once caught up.
  LiveMeeting.prototype.catchUp = function () {
    var self = this;
    if (this.catchUpRunning) {
      this.catchUpWanted = true;
      return this.catchUpRunning;
    }
    function page() {
      return api("GET", self.eventsUrl + "?after=" + self.seq + "&limit=" + PAGE).then(function (events) {
        var before = self.seq;
        for (var i = 0; i < events.length; i++) self.receive(events[i]);
        if (events.length === PAGE && self.seq > before) return page();
        return true;
      });
    }
    this.catchUpRunning = page()
      .then(
        function (ok) { return ok; },
        function (error) {
          if (error.status === 401) self.fail(self.strings.loggedOut);
          else if (error.status === 404) self.fail(self.strings.gone);
          else {
            // The network again: try once more shortly (the socket's reconnect will also ask).
            window.setTimeout(function () { if (self.socket && self.socket.connected) self.catchUp(); }, 3000);
          }
          return false;
        }
      )
      .then(function (ok) {
        self.catchUpRunning = null;
        if (self.catchUpWanted && !self.stopped) {
          self.catchUpWanted = false;
          return self.catchUp();
        }
        // Still a gap: an event newer than what the server had committed when we asked.
        self.watchGap();
        return ok;
      });
    return this.catchUpRunning;
  };

  LiveMeeting.prototype.setOnline = function (online) {
    if (this.stopped) return;
    this.online = online;
    if (online) this.banner.hide();
    else if (!this.leaving) this.banner.show(this.strings.offline);
    this.emit("connection", { data: { online: online } });
  };

  // The session cannot go on (logged out, meeting gone): say so and stop trying.
  LiveMeeting.prototype.fail = function (message) {
    this.stopped = true;
    this.banner.show(message || this.strings.offline);
    this.banner.node.classList.add("live-offline-final");
    if (this.socket) this.socket.disconnect();
  };

  window.ecabinetLive = {
    LiveMeeting: LiveMeeting,
    api: api,
    serverNow: window.ecabinet.serverNow,
    parseTime: parseTime,
  };
})();
