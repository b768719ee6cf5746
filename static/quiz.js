// Countdown display only: the server owns the deadline. The page receives the
// seconds left (not a wall-clock time), so a phone with a wrong clock still counts right.
(function () {
  var timer = null;
  function start() {
    var el = document.getElementById("countdown");
    clearInterval(timer);
    clearTimeout(timer);
    if (!el) return;
    if (el.dataset.paused) {  // 竞赛已暂停: the time stands still; look again for the resume
      timer = setTimeout(function () { window.location.href = el.dataset.expiredUrl; }, 15000);
      return;
    }
    var end = Date.now() + parseInt(el.dataset.secondsLeft, 10) * 1000;
    function tick() {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      el.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
      if (s <= 60) el.classList.add("urgent");
      if (s <= 0) { clearInterval(timer); window.location.href = el.dataset.expiredUrl; }
    }
    tick();
    timer = setInterval(tick, 1000);
  }
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSettle", start);
  // A locked phone pauses timers but not Date.now(), so the count stays right on return.

  // Leaving the page is counted on the server (a script cannot reset it there). If the
  // count passes the contest's limit the server submits, and on return we show the result.
  var submittedUrl = null;
  document.addEventListener("visibilitychange", function () {
    var quiz = document.getElementById("quiz");
    if (!quiz || !quiz.dataset.leaveUrl) return;
    if (document.visibilityState === "hidden") {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      headers["HX-Request"] = "true";
      fetch(quiz.dataset.leaveUrl, { method: "POST", headers: headers, keepalive: true, credentials: "same-origin" })
        .then(function (r) { submittedUrl = r.headers.get("HX-Redirect"); })
        .catch(function () {});
    } else if (submittedUrl) {
      window.location.href = submittedUrl;
    }
  });
})();
