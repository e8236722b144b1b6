// The auditor's pages' script: the verification page's button runs the
// verification on the live server and shows its progress as the server
// sends it (Server-Sent Events from /audit/verify/stream). Messages come
// from the page (data-* attributes, from the catalogues) with {name}
// placeholders filled from the server's figures.
"use strict";
(function () {
  const box = document.getElementById("verify");
  if (!box || !window.EventSource) return;
  const start = document.getElementById("verify-start");
  const bar = document.getElementById("verify-bar");
  const phase = document.getElementById("verify-phase");
  const result = document.getElementById("verify-result");

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  }

  function say(text, cls) {
    const p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    result.replaceChildren(p);
  }

  function show(v) {
    bar.hidden = false;
    bar.max = Math.max(v.total, 1);
    bar.value = Math.min(v.done, bar.max);
    const name = box.dataset[v.phase] || v.phase;
    phase.textContent = name + ": " + v.done + " / " + v.total;
  }

  start.hidden = false;
  start.addEventListener("click", function () {
    start.disabled = true;
    result.replaceChildren();
    let done = false;
    const es = new EventSource(box.dataset.stream);
    function end() {
      done = true;
      es.close();
      start.disabled = false;
    }
    es.addEventListener("progress", (e) => show(JSON.parse(e.data)));
    es.addEventListener("result", function (e) {
      const v = JSON.parse(e.data);
      show(v);
      end();
      if (v.ok) {
        say(fill(box.dataset.ok, { events: v.events, streams: v.streams, head: v.head, size: v.checkpoint || 0, root: v.root || "" }), "ok verify-ok");
      } else {
        say(fill(box.dataset.failed, { failure: v.failure || "" }), "problem verify-failed");
      }
    });
    es.addEventListener("refused", function (e) {
      end();
      say(fill(box.dataset.refused, { detail: e.data }), "problem verify-refused");
    });
    es.addEventListener("error", function () {
      if (done) return;
      end();
      say(box.dataset.lost, "problem verify-lost");
    });
  });
})();
