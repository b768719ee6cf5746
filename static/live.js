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

// Retry: an answer whose save failed on the way (no response at all, or a 5xx such as 503
// from an overloaded server or proxy) is sent again with backoff, and the phone says
// "正在重试…" meanwhile. The server stores one answer per question and answers a retry of
// the same answer with the same success page, so a save that did arrive is never counted
// twice; a 4xx is the server's answer (e.g. 时间已到) and is shown as it is.
(function retrySave() {
  var MAX_TRIES = 6, last = null, retrying = false;
  function isAnswer(elt) { return !!(elt && elt.matches && elt.matches("form.live-options")); }

  document.addEventListener("htmx:configRequest", function (event) {
    if (!isAnswer(event.detail.elt)) return;
    var body = new URLSearchParams();
    event.detail.formData.forEach(function (value, key) { body.append(key, value); });
    last = { url: event.detail.path, headers: Object.assign({}, event.detail.headers), body: body.toString() };
  });

  function notice(text) {
    var form = document.querySelector("#stage-box form.live-options");
    if (!form) return;
    form.querySelectorAll("button, input").forEach(function (b) { b.disabled = !!text; });
    var el = form.querySelector(".live-retry");
    if (!el) {
      el = document.createElement("p");
      el.className = "message warn live-retry";
      el.setAttribute("role", "status");
      form.insertBefore(el, form.firstChild);
    }
    el.textContent = text || "";
    el.hidden = !text;
  }

  function send(request, tries) {
    notice("网络不稳定，正在重试…");
    var wait = Math.min(8000, 500 * Math.pow(2, tries)) * (0.75 + Math.random() / 2);
    setTimeout(function () {
      var headers = Object.assign({}, request.headers, { "Content-Type": "application/x-www-form-urlencoded" });
      fetch(request.url, { method: "POST", headers: headers, body: request.body, credentials: "same-origin" })
        .then(function (r) {
          if (r.status >= 500) throw new Error("HTTP " + r.status);
          return r.text();
        })
        .then(function (html) {
          retrying = false;
          htmx.swap(document.getElementById("stage-box"), html, { swapStyle: "innerHTML" });
        })
        .catch(function () {
          if (tries + 1 < MAX_TRIES) { send(request, tries + 1); return; }
          retrying = false;
          notice("");
          notice("网络中断，答案未能提交，请重新点选。");
          var form = document.querySelector("#stage-box form.live-options");
          if (form) form.querySelectorAll("button, input").forEach(function (b) { b.disabled = false; });
        });
    }, wait);
  }

  function failed(event) {
    if (!isAnswer(event.detail.elt) || !last || retrying) return;
    retrying = true;
    send(last, 0);
  }
  document.addEventListener("htmx:sendError", failed);     // no response: the network
  document.addEventListener("htmx:responseError", failed); // 5xx (4xx are swapped in: base.html)
})();
