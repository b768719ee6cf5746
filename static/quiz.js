// The quiz screen's behaviour. The server owns the deadline, the answers and the count of
// leaves; this file shows them, saves every tap at once and says when the network fails.
(function () {
  // Texts in the page's language: the quiz page's #quiz-texts carries them (translated by the
  // server); Chinese where a page has none.
  function text(name, chinese) {
    var el = document.getElementById("quiz-texts");
    return (el && el.dataset[name]) || chinese;
  }
  var SAVE_FAILED = text("saveFailed", "网络不稳定，答案未保存，正在重试…");
  var NAV_FAILED = text("navFailed", "网络不稳定，请检查网络后重试。");
  var STORE = "safequiz.unsaved";

  function quiz() { return document.getElementById("quiz"); }
  function csrfHeaders() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    headers["HX-Request"] = "true";
    return headers;
  }

  // ---- countdown: the page receives the seconds left (not a wall-clock time), so a phone
  // with a wrong clock still counts right. A locked phone pauses timers but not Date.now().
  var timer = null;
  function startCountdown() {
    var el = document.getElementById("countdown");
    clearInterval(timer);
    clearTimeout(timer);
    if (!el) return;
    if (el.dataset.paused) {  // 竞赛已暂停: the time stands still; look again for the resume
      timer = setTimeout(function () { window.location.href = el.dataset.expiredUrl; }, 15000);
      return;
    }
    var end = Date.now() + parseInt(el.dataset.secondsLeft, 10) * 1000;
    // An answer sent just before the deadline is accepted for the grace seconds: ask for
    // the result after them, so the server closes the paper and says why.
    var after = (parseInt(el.dataset.grace, 10) || 0) * 1000 + 500;
    function tick() {
      var left = end - Date.now(), s = Math.max(0, Math.round(left / 1000));
      el.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
      if (s <= 60) el.classList.add("urgent");
      if (left <= 0 && el.dataset.expiredText) status(el.dataset.expiredText, "warn");
      if (left <= -after) {
        clearInterval(timer);
        whenSaved(function () { window.location.href = el.dataset.expiredUrl; });
      }
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  // ---- the status line (network trouble, time up): outside the swapped content's logic,
  // shown again after each swap while it still holds.
  var shown = null;
  function status(text, level) {
    shown = text ? { text: text, level: level || "error" } : null;
    var el = document.getElementById("net-status");
    if (!el) return;
    el.hidden = !shown;
    el.textContent = shown ? shown.text : "";
    el.className = "message net-status " + (shown ? shown.level : "");
  }

  // ---- every tap saved: the question's choices as they now are, posted at once; the same
  // state twice stores the same answer, so a failed save is simply sent again. One save at a
  // time, the newest state of each question; kept in sessionStorage until acknowledged, so a
  // reload neither loses nor un-ticks it.
  var unsaved = [];  // [{url, position, choices}], oldest first, one per question
  var sending = false, retryTimer = null, failures = 0, waiting = [];
  try { unsaved = JSON.parse(sessionStorage.getItem(STORE) || "[]"); } catch (e) { unsaved = []; }
  function remember() {
    try { sessionStorage.setItem(STORE, JSON.stringify(unsaved)); } catch (e) { /* private mode */ }
  }
  function queueSave(form) {
    var q = quiz();
    if (!q || !q.dataset.saveUrl || !form.elements.position) return;
    var position = form.elements.position.value, choices = [];
    form.querySelectorAll("input[name=choice]").forEach(function (input) {
      if (input.checked) choices.push(input.value);
    });
    unsaved = unsaved.filter(function (s) { return !(s.url === q.dataset.saveUrl && s.position === position); });
    unsaved.push({ url: q.dataset.saveUrl, position: position, choices: choices });
    remember();
    markDot(position, choices.length > 0);
    send();
  }
  function markDot(position, answered) {
    var dot = document.querySelector('#dots a[data-q="' + position + '"]');
    if (dot) dot.classList.toggle("done", answered);
  }
  function whenSaved(callback) {
    if (!unsaved.length) callback(); else waiting.push(callback);
  }
  function send() {
    busy();
    if (sending || retryTimer) return;
    if (!unsaved.length) {
      failures = 0;
      var callbacks = waiting;
      waiting = [];
      callbacks.forEach(function (callback) { callback(); });
      return;
    }
    var save = unsaved[0], body = new URLSearchParams();
    body.append("position", save.position);
    save.choices.forEach(function (c) { body.append("choice", c); });
    var headers = csrfHeaders();
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    var abort = window.AbortController ? new AbortController() : null;
    var limit = setTimeout(function () { if (abort) abort.abort(); }, 15000);
    sending = true;
    busy();
    fetch(save.url, { method: "POST", headers: headers, body: body.toString(), credentials: "same-origin",
                      keepalive: true, signal: abort ? abort.signal : undefined })
      .then(function (response) {
        clearTimeout(limit);
        sending = false;
        if (response.ok) {
          done(save);
          if (shown && shown.text === SAVE_FAILED) status(null);
          failures = 0;
          send();
        } else if (response.status === 429 || response.status >= 500) {
          retry(parseInt(response.headers.get("Retry-After"), 10) * 1000);
        } else {
          // Refused for good: the time is up, the paper is in, or it is not this phone's.
          done(save);
          var q = quiz(), here = q && q.dataset.saveUrl === save.url;
          if (here && response.status === 409) {
            unsaved = []; remember();
            window.location.reload();  // the server shows the result and why
            return;
          }
          if (here) response.text().then(function (html) {
            var found = new DOMParser().parseFromString(html, "text/html").querySelector("#message p");
            status(found ? found.textContent : NAV_FAILED);
          });
          send();
        }
      }, function () {
        clearTimeout(limit);
        sending = false;
        retry();
      });
  }
  function done(save) {
    // A newer state of the same question may have been queued meanwhile: that one stays.
    unsaved = unsaved.filter(function (s) { return s !== save; });
    remember();
  }
  function retry(wait) {
    failures += 1;
    status(SAVE_FAILED);
    retryTimer = setTimeout(function () { retryTimer = null; send(); },
                            wait > 0 ? wait : Math.min(8000, 1000 * Math.pow(2, failures - 1)));
    busy();
  }
  window.addEventListener("online", function () {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; send(); }
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "choice" && input.form && input.form.classList.contains("question")) queueSave(input.form);
  });
  // A page (re)loaded with taps not yet acknowledged: they show ticked and are sent again.
  function restore() {
    var q = quiz(), form = document.querySelector("form.question");
    if (!q || !form || !form.elements.position) return;
    unsaved.forEach(function (s) {
      if (s.url !== q.dataset.saveUrl) return;
      markDot(s.position, s.choices.length > 0);
      if (s.position !== form.elements.position.value) return;
      form.querySelectorAll("input[name=choice]").forEach(function (input) {
        input.checked = s.choices.indexOf(input.value) >= 0;
      });
    });
  }

  // ---- every tap answers at once: the tapped control looks pressed and cannot be tapped
  // again, a bar runs along the top while anything is in flight, and a navigation waits for
  // the taps before it (so an older save never lands after a newer answer).
  var inFlight = 0;
  function busy() {
    document.body.classList.toggle("busy", inFlight > 0 || sending || !!retryTimer || waiting.length > 0);
  }
  function pressedOf(detail) {
    var event = detail.triggeringEvent || detail.requestConfig && detail.requestConfig.triggeringEvent;
    if (event && event.submitter) return event.submitter;
    var elt = detail.elt;
    return elt && (elt.tagName === "A" || elt.tagName === "BUTTON") ? elt : null;
  }
  function press(control, on) {
    if (!control) return;
    control.classList.toggle("pressed", on);
    if (on) control.setAttribute("aria-busy", "true"); else control.removeAttribute("aria-busy");
  }
  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail, q = quiz();
    if (!unsaved.length || !q || !q.contains(detail.elt)) return;
    event.preventDefault();
    if (q.dataset.deferred) return;  // one navigation at a time
    q.dataset.deferred = "1";
    var control = pressedOf(detail);
    press(control, true);
    if (control && control.name && detail.elt.tagName === "FORM") {
      // htmx forgets the button once it loses focus; the form carries its value instead.
      var carried = document.createElement("input");
      carried.type = "hidden"; carried.name = control.name; carried.value = control.value;
      detail.elt.appendChild(carried);
    }
    whenSaved(function () {
      delete q.dataset.deferred;
      detail.issueRequest(true);
    });
    busy();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var control = pressedOf(event.detail);
    press(control, true);
    var form = event.detail.elt.tagName === "FORM" ? event.detail.elt : null;
    if (form) form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    inFlight += 1;
    busy();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    inFlight = Math.max(0, inFlight - 1);
    var control = pressedOf(event.detail);
    press(control, false);
    var form = event.detail.elt.tagName === "FORM" ? event.detail.elt : null;
    if (form) form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    if (event.detail.successful && shown && shown.text === NAV_FAILED) status(null);
    busy();
  });
  document.addEventListener("htmx:sendError", function () { status(NAV_FAILED); });
  document.addEventListener("htmx:timeout", function () { status(NAV_FAILED); });

  // ---- the number grid of a long paper: one line that scrolls, opened with a toggle.
  var gridOpen = false;
  function showGrid() {
    var nav = document.getElementById("dots"), toggle = document.querySelector(".dots-toggle");
    if (!nav || !toggle) return;
    nav.classList.toggle("open", gridOpen);
    toggle.setAttribute("aria-expanded", gridOpen ? "true" : "false");
    toggle.textContent = gridOpen ? text("fold", "收起") : text("unfold", "展开");
    var here = nav.querySelector(".here");
    if (!gridOpen && here) nav.scrollLeft = here.offsetLeft - (nav.clientWidth - here.offsetWidth) / 2;
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    if (event.target.closest(".dots-toggle")) { gridOpen = !gridOpen; showGrid(); }
    else if (event.target.closest("#dots a")) gridOpen = false;
  });

  // ---- leaving the page is counted on the server (a script cannot reset it there). On
  // return the page says what remains; past the limit the server submits and we show why.
  var submittedUrl = null, leaveWarning = null, unloading = false;
  window.addEventListener("beforeunload", function () { unloading = true; });
  window.addEventListener("pageshow", function () { unloading = false; });
  function warnOfLeaves() {
    var el = document.getElementById("leave-rule");
    if (!leaveWarning || !el || document.visibilityState !== "visible") return;
    el.textContent = leaveWarning;
    el.setAttribute("role", "alert");
    el.classList.add("error");
  }
  document.addEventListener("visibilitychange", function () {
    var q = quiz();
    if (!q || !q.dataset.leaveUrl) return;
    if (document.visibilityState === "hidden") {
      if (unloading) return;  // a reload or the way to the result is no leave
      fetch(q.dataset.leaveUrl, { method: "POST", headers: csrfHeaders(), keepalive: true, credentials: "same-origin" })
        .then(function (r) {
          submittedUrl = r.headers.get("HX-Redirect");
          var count = r.headers.get("X-Leave-Count"), more = r.headers.get("X-Leaves-To-Submit");
          if (count && more) leaveWarning = text("leaves", "您已离开答题页面 {count} 次，再离开 {more} 次将自动交卷。")
            .replace("{count}", count).replace("{more}", more);
          if (submittedUrl && document.visibilityState === "visible") window.location.href = submittedUrl;
          warnOfLeaves();
        })
        .catch(function () {});
    } else if (submittedUrl) {
      window.location.href = submittedUrl;
    } else {
      warnOfLeaves();
    }
  });

  function settle() {
    startCountdown();
    restore();
    showGrid();
    if (shown) status(shown.text, shown.level);
  }
  document.addEventListener("DOMContentLoaded", function () { settle(); send(); });
  document.addEventListener("htmx:afterSettle", settle);
})();

// The Content-Security-Policy allows no inline handler and no style="" attribute
// (quiz/security_headers.py): a form asks before it posts with data-confirm, and a bar
// takes its width (percent) from data-bar-width.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target, question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
  function bars(root) {
    var found = (root.querySelectorAll ? root : document).querySelectorAll("[data-bar-width]");
    for (var i = 0; i < found.length; i++) found[i].style.width = found[i].getAttribute("data-bar-width") + "%";
  }
  document.addEventListener("DOMContentLoaded", function () { bars(document); });
  document.addEventListener("htmx:load", function (event) { bars(event.target); });
  document.addEventListener("htmx:afterSettle", function (event) { bars(event.target); });
})();
