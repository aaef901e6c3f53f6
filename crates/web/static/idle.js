// Shared-computer mode: warns two minutes before the idle sign-out and
// offers to stay signed in. Without this script the server still ends
// the session after the idle time; this only makes it visible.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds"), 10);
  if (!idle || idle < 60) { return; }
  var warnAfter = Math.max(idle - 120, idle / 2) * 1000;
  var warnTimer, endTimer, dialog;

  function signOutNow() {
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/signout";
    var csrf = document.createElement("input");
    csrf.type = "hidden";
    csrf.name = "csrf";
    csrf.value = body.getAttribute("data-csrf") || "";
    form.appendChild(csrf);
    body.appendChild(form);
    form.submit();
  }

  function showWarning() {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "idle-warning";
      dialog.setAttribute("aria-labelledby", "idle-title");
      dialog.innerHTML =
        '<h2 id="idle-title">Are you still there?</h2>' +
        "<p>This is a shared computer. You will be signed out in two minutes " +
        "unless you choose to stay.</p>" +
        '<p><button type="button" class="button" id="idle-stay">Stay signed in</button> ' +
        '<button type="button" class="button button-secondary" id="idle-leave">Sign out now</button></p>';
      body.appendChild(dialog);
      dialog.querySelector("#idle-stay").addEventListener("click", stay);
      dialog.querySelector("#idle-leave").addEventListener("click", signOutNow);
    }
    if (!dialog.open) { dialog.showModal(); }
    endTimer = setTimeout(signOutNow, idle * 1000 - warnAfter);
  }

  function stay() {
    // Any request counts as activity; this one reads nothing personal.
    fetch("/api/v1/session", { credentials: "same-origin" }).then(function (res) {
      if (res.status === 401) { window.location.reload(); }
    });
    if (dialog && dialog.open) { dialog.close(); }
    schedule();
  }

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(showWarning, warnAfter);
  }

  schedule();
})();
