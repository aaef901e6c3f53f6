// Live counts for members: unread notifications and messages in the
// header, and "new posts" on the feed, from server-sent events. Without
// this script every count is right on the next page load.
(function () {
  "use strict";
  if (!window.EventSource || !document.body.hasAttribute("data-live")) { return; }
  var source = new EventSource("/notifications/live");
  function show(id, n, label) {
    var el = document.getElementById(id);
    if (!el) { return; }
    el.textContent = n > 0 ? " (" + n + " " + label + ")" : "";
  }
  function update(e) {
    var data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    show("nav-notifications-count", data.notifications, "new");
    show("nav-messages-count", data.messages, "unread");
  }
  source.addEventListener("notification", update);
  source.addEventListener("message", function (e) {
    update(e);
    var box = document.getElementById("new-message");
    if (box) { box.hidden = false; }
  });
  source.addEventListener("feed", function (e) {
    update(e);
    var box = document.getElementById("new-posts");
    if (box) { box.hidden = false; }
  });
})();
