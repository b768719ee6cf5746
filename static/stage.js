// The presenter's screen: the countdown bar drains from the server's seconds left (a CSS
// animation), the reveal's bars grow (a CSS transition), and, when the host turned the sound
// on, a tick in the last seconds and a chime at the reveal, made with the Web Audio API.
(function () {
  var audio = null, lastState = null, lastTick = null, tickTimer = null;

  function timer() {
    var bar = document.querySelector(".stage-timer");
    if (!bar) return;
    var left = parseFloat(bar.dataset.secondsLeft) || 0;
    var total = parseFloat(bar.dataset.total) || 1;
    var fill = bar.firstElementChild;
    fill.style.setProperty("--from", Math.max(0, Math.min(1, left / total)));
    bar.classList.toggle("urgent", left <= 5);
    if (bar.dataset.paused === "1" || left <= 0) return;
    fill.style.animationDuration = left + "s";
    bar.classList.add("running");
    setTimeout(function () { bar.classList.add("urgent"); }, Math.max(0, (left - 5) * 1000));
  }

  function bars() {
    var found = document.querySelectorAll(".tile-bar[data-share]");
    if (!found.length) return;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        found.forEach(function (el) { el.style.width = (parseFloat(el.dataset.share) * 100) + "%"; });
      });
    });
  }

  // ---- sound: generated, no audio files; off unless the round's setting is on.
  function soundOn() {
    var stage = document.getElementById("stage");
    return stage && stage.dataset.sound === "1";
  }
  function tone(freq, start, length, volume) {
    if (!audio || audio.state !== "running") return;
    var osc = audio.createOscillator(), gain = audio.createGain();
    var t = audio.currentTime + start;
    osc.frequency.value = freq;
    osc.type = "sine";
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(volume, t + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + length + 0.05);
  }
  function chime() { tone(660, 0, 0.35, 0.3); tone(880, 0.15, 0.35, 0.3); tone(1320, 0.3, 0.6, 0.25); }
  function unlock() {
    if (!window.AudioContext && !window.webkitAudioContext) return;
    if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === "suspended") audio.resume();
    hint();
  }
  function hint() {
    var el = document.querySelector(".stage-sound-hint");
    if (el) el.hidden = !soundOn() || (audio && audio.state === "running");
  }
  function ticks() {
    clearInterval(tickTimer);
    var el = document.querySelector(".stage-seconds");
    if (!el || !soundOn()) return;
    tickTimer = setInterval(function () {
      var s = parseInt(el.textContent, 10);
      if (s !== lastTick && s > 0 && s <= 5 && el.dataset.paused !== "1") tone(1000, 0, 0.08, 0.2);
      lastTick = s;
    }, 200);
  }

  function update() {
    var stage = document.getElementById("stage");
    if (!stage) return;
    timer();
    bars();
    hint();
    ticks();
    var state = stage.dataset.state + ":" + stage.dataset.position;
    if (soundOn() && lastState && lastState !== state && stage.dataset.state === "reveal") chime();
    lastState = state;
  }

  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);
  document.addEventListener("htmx:sseMessage", function () { setTimeout(update, 0); });
  document.addEventListener("click", unlock);
  document.addEventListener("keydown", unlock);
})();
