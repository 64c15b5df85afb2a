"""The hall display page (SCH-14): numbers only, live over Server-Sent Events, a sound per call; a
number whose patient entered the room shows as in the room, no longer as called."""

from __future__ import annotations

from html import escape
from uuid import UUID

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Queue · __BRANCH__</title>
<style>
  body { margin: 0; font-family: system-ui, sans-serif; background: #0b1f33; color: #f4f7fb; }
  header { display: flex; justify-content: space-between; align-items: baseline; padding: 1rem 2rem;
           background: #12314f; }
  header h1 { margin: 0; font-size: 2rem; }
  #state { font-size: 1rem; opacity: .8; }
  #called { padding: 1.5rem 2rem; font-size: 2.2rem; }
  #called b { font-size: 5rem; color: #ffd34d; margin-left: 1rem; }
  #rooms { display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); gap: 1rem;
           padding: 1rem 2rem; }
  .room { background: #163a5c; border-radius: .6rem; padding: 1rem; }
  .room h2 { margin: 0 0 .5rem; font-size: 1.4rem; }
  .now { font-size: 2.5rem; color: #ffd34d; min-height: 3rem; }
  .inroom { font-size: 1.2rem; opacity: .8; min-height: 1.5rem; }
  .waiting span { display: inline-block; margin: .2rem; padding: .2rem .6rem; background: #0b1f33;
                  border-radius: .3rem; font-size: 1.4rem; }
  .flash { animation: flash 1s ease-out 3; }
  @keyframes flash { from { background: #ffd34d; color: #0b1f33; } to { background: inherit; } }
</style>
</head>
<body data-sounds="0" data-version="-1">
<header><h1>__BRANCH__</h1><span id="state">connecting…</span></header>
<div id="called">Now called: <b id="last">—</b></div>
<div id="rooms"></div>
<script>
(function () {
  "use strict";
  var lastCalls = null, sounds = 0, audio = null, source = null;
  function state(text) { document.getElementById("state").textContent = text; }
  function beep() {
    sounds += 1;
    document.body.dataset.sounds = String(sounds);
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach(function (at) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = at ? 660 : 880;
        gain.gain.value = 0.3;
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.3);
      });
    } catch (e) { /* no audio device: the flash still shows the call */ }
  }
  function render(board) {
    document.body.dataset.version = String(board.version);
    document.getElementById("last").textContent = board.last_called === null ? "—" : board.last_called;
    var rooms = document.getElementById("rooms");
    rooms.textContent = "";
    board.rooms.forEach(function (room) {
      var el = document.createElement("section"), h = document.createElement("h2");
      var now = document.createElement("div"), wait = document.createElement("div");
      var inroom = document.createElement("div");
      el.className = "room"; now.className = "now"; wait.className = "waiting"; inroom.className = "inroom";
      h.textContent = room.label;
      now.textContent = room.called.length ? String(room.called[0]) : "";
      inroom.textContent = room.in_room.length ? "In the room: " + room.in_room[0] : "";
      room.waiting.forEach(function (n) {
        var s = document.createElement("span"); s.textContent = String(n); wait.appendChild(s);
      });
      el.appendChild(h); el.appendChild(now); el.appendChild(inroom); el.appendChild(wait);
      rooms.appendChild(el);
    });
  }
  function apply(board) {
    if (lastCalls !== null && board.calls > lastCalls) {
      beep();
      var called = document.getElementById("called");
      called.classList.remove("flash"); void called.offsetWidth; called.classList.add("flash");
    }
    lastCalls = board.calls;
    render(board);
  }
  function connect() {
    source = new EventSource("display/stream");
    source.addEventListener("board", function (e) { apply(JSON.parse(e.data)); });
    source.onopen = function () { state("live"); };
    source.onerror = function () {
      state("reconnecting…");
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 2000); }
    };
  }
  connect();
})();
</script>
</body>
</html>
"""


def render(branch_id: UUID, branch_name: str) -> str:
    return PAGE.replace("__BRANCH__", escape(branch_name)).replace("__ID__", str(branch_id))
