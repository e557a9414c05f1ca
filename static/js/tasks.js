// "My tasks": news of a task assigned, an extension answered or a deadline near, live from the user's own
// Socket.IO room (the server puts each connection there at connect). The words are the page's, in the
// notice's data-* attributes; the page works without this script, reloaded by hand.
(function () {
  "use strict";

  function listen() {
    var news = document.getElementById("task-news");
    if (!news || typeof window.io !== "function") return;
    var text = news.querySelector(".task-news-text");
    var link = news.querySelector("a");
    var words = {
      "task.assigned": news.dataset.assigned,
      "task.extension_answered": news.dataset.answered,
      "task.reminder": news.dataset.reminder,
    };
    var socket = window.io({ transports: ["websocket", "polling"], tryAllTransports: true });
    socket.on("connect", function () {
      news.setAttribute("data-live", "connected");
    });
    socket.on("disconnect", function () {
      news.setAttribute("data-live", "disconnected");
    });
    socket.on("event", function (event) {
      if (!event || !words[event.type]) return;
      var data = event.data || {};
      text.textContent = words[event.type].replace("{text}", data.text || "");
      if (data.task_id) link.href = news.dataset.taskUrl.replace(/\/0$/, "/" + data.task_id);
      news.hidden = false;
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", listen);
  else listen();
})();
