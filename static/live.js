// Live rounds. The server pushes each new stage over SSE (htmx's sse extension swaps it
// in); this file only counts the seconds down on screen and, where the event stream
// cannot get through (a buffering proxy, an old WebView), polls instead.
(function () {
  var timer = null;
  function countdown() {
    clearInterval(timer);
    var el = document.querySelector(".live-countdown");
    if (!el || el.dataset.paused === "1") return;
    var end = Date.now() + parseInt(el.dataset.secondsLeft, 10) * 1000;
    function tick() {
      var s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      el.textContent = s;
      el.classList.toggle("urgent", s <= 5);
      if (s <= 0) clearInterval(timer);
    }
    tick();
    timer = setInterval(tick, 250);
  }
  document.addEventListener("DOMContentLoaded", countdown);
  document.addEventListener("htmx:afterSettle", countdown);
  document.addEventListener("htmx:sseMessage", function () { setTimeout(countdown, 0); });

  // The console: the players ticked for removal stay ticked when a new version of the
  // console is swapped in (a phone joined); a removal clears them.
  var ticked = {};
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name === "player_id") { if (box.checked) ticked[box.value] = 1; else delete ticked[box.value]; }
  });
  function keepTicks() {
    document.querySelectorAll("input[name=player_id]").forEach(function (box) { box.checked = !!ticked[box.value]; });
  }
  document.addEventListener("htmx:afterSettle", keepTicks);
  document.addEventListener("htmx:sseMessage", function () { setTimeout(keepTicks, 0); });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.querySelector && event.detail.elt.querySelector("input[name=player_id]")) ticked = {};
  });

  // Fallback: after repeated stream errors, ask every 2 s for the stage with the version
  // shown; the server answers 204 (nothing new, no body) or the new stage.
  var errors = 0, polling = null;
  document.addEventListener("htmx:sseOpen", function () { errors = 0; });
  document.addEventListener("htmx:sseError", function (event) {
    errors += 1;
    if (errors < 3 || polling) return;
    var source = event.detail && event.detail.source;
    if (source && source.close) source.close();
    var box = document.getElementById("stage-box");
    if (!box) return;
    polling = setInterval(function () {
      var stage = document.getElementById("stage");
      var url = box.dataset.pollUrl + "?v=" + (stage ? stage.dataset.version : 0);
      fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" }).then(function (r) {
        if (r.status !== 200) return null;
        return r.text();
      }).then(function (html) {
        if (html) { htmx.swap(box, html, { swapStyle: "innerHTML" }); countdown(); }
      }).catch(function () {});
    }, 2000);
  });
})();
