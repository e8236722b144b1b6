// The staff pages' script: it sends the console's commands without
// leaving the page, keeps them on the phone while there is no network,
// and keeps the live parts of the console and the projector view up to
// date. The pages work without it (every form posts and is answered with
// a redirect). Every write goes through transmit.
"use strict";
(function () {
  // newKey returns a random Idempotency-Key (crypto.randomUUID needs a
  // secure context; a village hall's laptop may serve over plain http).
  function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // The command's own time is this device's clock, corrected by the
  // server's (its Date header) when the two differ by more than a few
  // seconds: the API refuses a time far outside the meeting's window.
  let offset = 0;
  function noteServerDate(res) {
    const d = Date.parse(res.headers.get("Date") || "");
    if (!isNaN(d)) {
      const o = d - Date.now();
      offset = Math.abs(o) > 5000 ? o : 0;
    }
  }
  function commandTime() {
    return new Date(Date.now() + offset).toISOString();
  }

  // transmit sends one command to the staff command handler: its form's
  // fields, its Idempotency-Key (fixed when it was recorded, so that a
  // command sent twice is applied once) and its own time. It resolves to
  // {outcome, status, data}: "done" (data is the handler's answer: notice,
  // next, result), "refused" (data is the API's problem: title, detail,
  // errors), "offline" (no network) or "later" (the server could not take
  // it now: signed out, overloaded; it stays queued).
  async function transmit(cmd) {
    const body = new FormData();
    cmd.fields.forEach((f) => body.append(f[0], f[1]));
    const headers = { "Accept": "application/json", "Idempotency-Key": cmd.key, "Yishi-Command-Time": cmd.time };
    const csrf = body.get("csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
    let res;
    try {
      res = await fetch(cmd.path, { method: cmd.method, body: body, headers: headers, credentials: "same-origin" });
    } catch (e) {
      return { outcome: "offline" };
    }
    noteServerDate(res);
    let data = null;
    if ((res.headers.get("Content-Type") || "").includes("json")) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (res.ok && data && data.result) return { outcome: "done", status: res.status, data: data };
    const final = res.status >= 400 && res.status < 500 && ![401, 408, 425, 429].includes(res.status);
    if (final && data && (data.title || data.detail)) return { outcome: "refused", status: res.status, data: data };
    return { outcome: "later", status: res.status, data: data || {} };
  }

  // sendCommand sends a command at once with a fresh key (for scripts
  // that need no queue); it resolves to {ok, status, data}.
  async function sendCommand(method, path, body) {
    const fields = [];
    body.forEach((v, k) => { if (typeof v === "string") fields.push([k, v]); });
    const r = await transmit({ method: method, path: path, fields: fields, key: newKey(), time: commandTime() });
    if (r.outcome === "offline") throw new Error("offline");
    return { ok: r.outcome === "done", status: r.status, data: r.data };
  }

  // The queue: every console command is first written to IndexedDB
  // (database yishi-console, store commands, in the order recorded), then
  // sent in that order. A command the server refuses stays, marked
  // refused with the server's reason, until the facilitator dismisses it.
  const dbName = "yishi-console";
  const storeName = "commands";
  let dbp = null;
  function db() {
    if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
    if (!dbp) {
      dbp = new Promise((resolve, reject) => {
        const r = indexedDB.open(dbName, 1);
        r.onupgradeneeded = () => r.result.createObjectStore(storeName, { keyPath: "seq", autoIncrement: true });
        r.onsuccess = () => {
          const d = r.result;
          // Signing out deletes the database: let it.
          d.onversionchange = () => { d.close(); dbp = null; };
          resolve(d);
        };
        r.onerror = () => { dbp = null; reject(r.error); };
      });
    }
    return dbp;
  }
  function inStore(mode, fn) {
    return db().then((d) => new Promise((resolve, reject) => {
      const t = d.transaction(storeName, mode);
      const req = fn(t.objectStore(storeName));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    }));
  }
  const allCommands = () => inStore("readonly", (s) => s.getAll()).catch(() => []);
  const keep = (cmd) => inStore("readwrite", (s) => s.put(cmd));
  const drop = (seq) => inStore("readwrite", (s) => s.delete(seq));

  const root = document.querySelector("[data-events]");
  const consoleRoot = document.querySelector(".console[data-meeting]");

  // describe says in a line what a command records, for the lists.
  function describe(form, submitter) {
    const parts = [];
    const b = submitter && (submitter.getAttribute("aria-label") || submitter.textContent.trim());
    if (b) parts.push(b);
    const speaker = form.querySelector("select[name=speaker]");
    if (speaker && speaker.selectedOptions[0]) parts.push(speaker.selectedOptions[0].textContent.trim());
    form.querySelectorAll("input[type=radio][name=option_id]:checked").forEach((r) => parts.push(r.parentElement.textContent.trim()));
    form.querySelectorAll("textarea, input[type=text]").forEach((f) => { if (f.value.trim() && f.id !== "motion-options") parts.push(f.value.trim().slice(0, 80)); });
    const ticked = Array.from(form.querySelectorAll("input[type=checkbox]:checked"), (c) => c.parentElement.textContent.trim());
    if (ticked.length) parts.push(ticked.join("、"));
    return parts.join(" · ");
  }

  // expected is what the console shows for a command still waiting: the
  // attendance ticked, the statement listed, the hands counted, each
  // marked as waiting.
  function expected(form, submitter, body) {
    const action = form.getAttribute("action");
    if (/\/attendance$/.test(action)) {
      return { kind: "attendance", person: body.get("person_id"), value: body.get("attendance"), text: submitter ? submitter.textContent.trim() : "" };
    }
    if (/\/statement$/.test(action)) {
      const sel = form.querySelector("select[name=speaker]");
      return { kind: "statement", item: body.get("item_id"), speaker: sel && sel.selectedOptions[0] ? sel.selectedOptions[0].textContent.trim() : "", summary: body.get("summary") };
    }
    if (/\/ballots$/.test(action)) return { kind: "ballots", voters: body.getAll("voter_ids") };
    return null;
  }

  function record(form, submitter) {
    const body = new FormData(form, submitter);
    const fields = [];
    let files = false;
    body.forEach((v, k) => { if (typeof v === "string") fields.push([k, v]); else if (v.size) files = true; });
    if (files) return null; // photos are sent at once, never queued
    return {
      key: newKey(), time: commandTime(), method: "POST", path: form.getAttribute("action"), fields: fields, state: "pending",
      label: describe(form, submitter), expect: expected(form, submitter, body),
      meeting: consoleRoot ? consoleRoot.dataset.meeting : "", title: consoleRoot ? consoleRoot.dataset.title : document.title,
    };
  }

  // drain sends the waiting commands in order, until one cannot be sent
  // (no network): the rest wait with it. The command the facilitator
  // just made (mine) is answered on its form as before; a refusal of an
  // earlier one goes to the refused list.
  async function drain(mine) {
    const waiting = (await allCommands()).filter((c) => c.state === "pending");
    let head = 0;
    // Without a network nothing is tried: the browser says when it is back.
    let stopped = navigator.onLine === false;
    for (const cmd of stopped ? [] : waiting) {
      const r = await transmit(cmd);
      if (r.outcome === "done") {
        await drop(cmd.seq);
        head = Math.max(head, (r.data.result && r.data.result.head_position) || 0);
        if (mine && mine.seq === cmd.seq) mine.answer(r);
      } else if (r.outcome === "refused") {
        if (mine && mine.seq === cmd.seq) {
          await drop(cmd.seq);
          mine.answer(r);
        } else {
          cmd.state = "refused";
          cmd.problem = { status: r.status, title: r.data.title || "", detail: r.data.detail || "", errors: r.data.errors || [] };
          await keep(cmd);
        }
      } else {
        stopped = true;
        break;
      }
    }
    if (mine && !mine.answered) mine.answer({ outcome: "queued" });
    retry(stopped);
    await render();
    if (head) scheduleRefresh(head);
  }

  // flush runs drain once at a time in this page, and once at a time
  // across the browser's tabs where Web Locks exist.
  let flushing = Promise.resolve();
  function flush(mine) {
    const run = () => (navigator.locks ? navigator.locks.request("yishi-console-queue", () => drain(mine)) : drain(mine));
    flushing = flushing.then(run, run).catch((e) => say(String(e)));
    return flushing;
  }

  // retry sends again later while commands wait: 2 s, doubling to a minute,
  // and at once when the browser says the network is back.
  let retryTimer = null;
  let retryDelay = 2000;
  function retry(stopped) {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    if (!stopped) { retryDelay = 2000; return; }
    if (navigator.onLine === false) return;
    retryTimer = setTimeout(() => { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }
  window.addEventListener("online", () => { retryDelay = 2000; flush(); listen(); });
  window.addEventListener("offline", () => { hangUp(); render(); });

  function clock(iso) {
    const d = new Date(iso);
    return d.toLocaleTimeString(document.documentElement.lang || undefined, { hour12: false });
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // render shows the queue: the count in the bar under the live count,
  // the waiting and refused commands in the list, and what the waiting
  // ones are expected to change on this screen.
  async function render() {
    const bar = document.getElementById("queuebar");
    const box = document.getElementById("queue");
    if (!bar || !box) return;
    const cmds = await allCommands();
    const waiting = cmds.filter((c) => c.state === "pending");
    const refused = cmds.filter((c) => c.state === "refused");
    const offline = navigator.onLine === false;
    const count = document.getElementById("queue-count");
    const said = [];
    if (waiting.length) said.push(count.dataset.pending.replace("%d", waiting.length));
    if (refused.length) said.push(count.dataset.refused.replace("%d", refused.length));
    if (offline) said.push(count.dataset.offline);
    count.textContent = said.join(" · ");
    bar.hidden = box.hidden = said.length === 0;
    const note = document.getElementById("queue-note");
    if (!note.dataset.note) note.dataset.note = note.textContent;
    note.textContent = offline ? box.dataset.offline : note.dataset.note;
    const here = consoleRoot ? consoleRoot.dataset.meeting : "";
    const line = (c) => {
      const li = el("li");
      li.appendChild(el("span", "what", c.label + (c.meeting && c.meeting !== here ? " · " + c.title : "")));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "when", box.dataset.recorded.replace("%s", clock(c.time))));
      return li;
    };
    const list = document.getElementById("queue-pending");
    list.textContent = "";
    waiting.forEach((c) => {
      const li = line(c);
      li.insertBefore(document.createTextNode(" "), li.firstChild);
      li.insertBefore(el("span", "badge waiting", box.dataset.waiting), li.firstChild);
      list.appendChild(li);
    });
    const rlist = document.getElementById("queue-refused");
    rlist.textContent = "";
    refused.forEach((c) => {
      const li = el("li");
      li.appendChild(el("p", "", "")).appendChild(el("strong", "", c.problem.title));
      if (c.problem.detail) li.appendChild(el("p", "reason", c.problem.detail));
      li.appendChild(line(c).firstChild);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "when", box.dataset.recorded.replace("%s", clock(c.time))));
      const b = el("button", "secondary", box.dataset.dismiss);
      b.type = "button";
      b.dataset.dismiss = c.seq;
      b.setAttribute("aria-label", box.dataset.dismiss + ": " + c.label);
      li.appendChild(b);
      rlist.appendChild(li);
    });
    document.getElementById("queue-refused-box").hidden = refused.length === 0;
    showExpected(waiting.filter((c) => c.meeting === here && c.expect));
  }

  function showExpected(waiting) {
    const tag = document.getElementById("queue").dataset.waiting;
    document.querySelectorAll("#statements li.pending").forEach((li) => li.remove());
    waiting.forEach((c) => {
      const x = c.expect;
      if (x.kind === "attendance") {
        const li = document.querySelector(`li[data-person="${CSS.escape(x.person)}"]`);
        if (!li) return;
        li.className = "person is-pending is-" + x.value;
        const badge = li.querySelector(".badge");
        if (badge) badge.textContent = x.text + " · " + tag;
        li.querySelectorAll(".taps button").forEach((b) => b.setAttribute("aria-pressed", String(b.value === x.value)));
      } else if (x.kind === "statement") {
        const ol = document.querySelector(`#statements[data-item="${CSS.escape(x.item)}"]`);
        if (!ol) return;
        const li = el("li", "pending");
        li.appendChild(el("strong", "", x.speaker));
        li.appendChild(document.createTextNode(": " + x.summary + " "));
        li.appendChild(el("span", "badge waiting", tag));
        ol.appendChild(li);
      } else if (x.kind === "ballots") {
        x.voters.forEach((v) => {
          const box = document.querySelector(`#unvoted input[value="${CSS.escape(v)}"]`);
          if (!box || box.disabled) return;
          box.checked = false;
          box.disabled = true;
          box.parentElement.classList.add("pending");
          box.parentElement.appendChild(el("span", "badge waiting", tag));
        });
      }
    });
  }

  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest && ev.target.closest("button[data-dismiss]");
    if (!b) return;
    await drop(Number(b.dataset.dismiss));
    render();
  });

  let refreshing = null;

  // refresh reads the page again (as of position at least) and replaces
  // each part marked data-live by the new one of the same id.
  async function refresh(position) {
    if (navigator.onLine === false) return;
    const u = new URL(location.href);
    u.searchParams.delete("notice");
    if (position) u.searchParams.set("wait_for", position);
    let doc;
    try {
      const res = await fetch(u, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!res.ok) return;
      doc = new DOMParser().parseFromString(await res.text(), "text/html");
    } catch (e) {
      return; // no network: the page stays as it is
    }
    document.querySelectorAll("[data-live]").forEach((el) => {
      const fresh = el.id && doc.getElementById(el.id);
      // A part the facilitator is filling in (a focused field, ticked
      // boxes) is left alone until they send it.
      const a = document.activeElement;
      const busy = (el.contains(a) && a.matches("input, textarea, select")) || el.querySelector("input[type=checkbox]:checked");
      if (!fresh || busy) return;
      el.replaceWith(document.importNode(fresh, true));
    });
    applyFilter();
    render();
  }
  function scheduleRefresh(position) {
    if (refreshing) clearTimeout(refreshing);
    refreshing = setTimeout(() => { refreshing = null; refresh(position); }, 30);
  }

  function say(text) {
    const s = document.getElementById("console-status");
    if (s) s.textContent = text;
  }
  function showRefusal(p) {
    const box = document.querySelector("[data-refusal]");
    if (!box) { say(p.detail || p.title || ""); return; }
    box.hidden = false;
    box.textContent = "";
    const t = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = p.title || "";
    t.appendChild(strong);
    box.appendChild(t);
    const d = document.createElement("p");
    d.textContent = p.detail || "";
    box.appendChild(d);
    box.scrollIntoView({ block: "nearest" });
  }

  // clearForm empties what was typed once a command is sent or kept.
  function clearForm(form) {
    if (form.hasAttribute("data-remove")) {
      const li = form.closest("li");
      if (li) li.remove();
      return;
    }
    form.querySelectorAll("input[type=text], textarea:not([data-keep])").forEach((f) => { if (f.id !== "motion-options") f.value = ""; });
    form.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = false; });
  }

  // answered handles the answer to the command the facilitator just made.
  function answered(form, r) {
    if (r.outcome === "refused" || r.outcome === "later") { showRefusal(r.data); return; }
    const box = document.querySelector("[data-refusal]");
    if (box) box.hidden = true;
    if (r.outcome === "queued") {
      clearForm(form);
      return;
    }
    say(r.data.notice || "");
    const next = r.data.next && new URL(r.data.next, location.href);
    if (next && next.pathname !== location.pathname) { location.assign(next); return; }
    // A command that changes what the screen offers (voting opened, a
    // motion tabled) reloads it, as of the write.
    if (form.hasAttribute("data-reload")) {
      const u = new URL(location.href);
      u.searchParams.set("wait_for", r.data.result.head_position);
      u.searchParams.set("notice", r.data.key);
      location.replace(u);
      return;
    }
    clearForm(form);
  }

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!form.matches("form[data-command]")) return;
    ev.preventDefault();
    // The form's fields first: a disabled button is no longer one of them.
    const cmd = record(form, ev.submitter);
    const body = new FormData(form, ev.submitter);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      let seq = null;
      if (cmd) {
        try { seq = await keep(cmd); } catch (e) { seq = null; }
      }
      if (seq === null) {
        // Not kept (photos, or no IndexedDB): sent at once, as it is.
        const r = await sendCommand("POST", form.getAttribute("action"), body);
        answered(form, r.ok ? { outcome: "done", data: r.data } : { outcome: "refused", data: r.data });
        if (r.ok) scheduleRefresh(r.data.result && r.data.result.head_position);
        return;
      }
      const mine = { seq: seq, answered: false, answer: (r) => { mine.answered = true; answered(form, r); } };
      await flush(mine);
    } catch (e) {
      say(String(e));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });

  // The search box filters the attendance list as one types.
  function applyFilter() {
    const q = document.querySelector("[data-filter]");
    if (!q) return;
    const list = document.querySelector(q.getAttribute("data-filter"));
    if (!list) return;
    const v = q.value.trim().toLowerCase();
    list.querySelectorAll("[data-name]").forEach((li) => {
      li.hidden = v !== "" && !li.getAttribute("data-name").toLowerCase().includes(v);
    });
  }
  document.addEventListener("input", (ev) => { if (ev.target.matches("[data-filter]")) applyFilter(); });

  // listen follows the meeting's changes while there is a network.
  let events = null;
  function listen() {
    if (!root || !window.EventSource || events || navigator.onLine === false) return;
    events = new EventSource(root.getAttribute("data-events"));
    // The first event is the state the page was read as of: after a
    // break, read it again.
    let first = true;
    const again = refreshedOnce;
    refreshedOnce = true;
    events.addEventListener("changed", (ev) => {
      if (first) {
        first = false;
        if (!again) return;
      }
      scheduleRefresh(ev.data);
    });
  }
  let refreshedOnce = false;
  function hangUp() {
    if (events) events.close();
    events = null;
  }
  listen();

  // The service worker (/sw.js, which also shows Web Push notifications)
  // keeps the console's pages this browser opened, and the meeting's other
  // screens, so that they open without a network.
  // Offline, the worker that answered this page is there already.
  if (consoleRoot && "serviceWorker" in navigator && navigator.onLine !== false) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => navigator.serviceWorker.ready).then((reg) => {
      const assets = Array.from(document.querySelectorAll("link[href^='/static/'], script[src^='/static/']"), (e) => e.href || e.src);
      reg.active.postMessage({ keep: Array.from(document.querySelectorAll(".screens a"), (a) => a.href), assets: assets });
    }).catch(() => { /* without a service worker the console needs the network to open */ });
  }

  window.yishi = { sendCommand: sendCommand, flush: flush };
  render();
  allCommands().then((cmds) => { if (cmds.some((c) => c.state === "pending")) flush(); });
})();
