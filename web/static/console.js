// The staff pages' script: it sends the console's commands without
// leaving the page and keeps the live parts of the console and the
// projector view up to date. The pages work without it (every form posts
// and is answered with a redirect). Every write goes through sendCommand.
"use strict";
(function () {
  // newKey returns a random Idempotency-Key (crypto.randomUUID needs a
  // secure context; a village hall's laptop may serve over plain http).
  function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // sendCommand is the one way the console writes: method and path of the
  // staff command handler (the form's action), the form's fields as body.
  // Each command carries its own Idempotency-Key (a command sent twice is
  // applied once) and the moment it was made (Yishi-Command-Time). It
  // resolves to {ok, status, data}: data is the handler's answer (notice,
  // next, result) or the API's problem (title, detail, errors).
  async function sendCommand(method, path, body) {
    const headers = {
      "Accept": "application/json",
      "Idempotency-Key": newKey(),
      "Yishi-Command-Time": new Date().toISOString(),
    };
    const csrf = body.get("csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const res = await fetch(path, { method: method, body: body, headers: headers, credentials: "same-origin" });
    let data = {};
    try { data = await res.json(); } catch (e) { data = { title: res.statusText }; }
    return { ok: res.ok, status: res.status, data: data };
  }
  window.yishi = { sendCommand: sendCommand };

  const root = document.querySelector("[data-events]");
  let refreshing = null;

  // refresh reads the page again (as of position at least) and replaces
  // each part marked data-live by the new one of the same id.
  async function refresh(position) {
    const u = new URL(location.href);
    u.searchParams.delete("notice");
    if (position) u.searchParams.set("wait_for", position);
    const res = await fetch(u, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
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

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!form.matches("form[data-command]")) return;
    ev.preventDefault();
    const body = new FormData(form, ev.submitter);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const r = await sendCommand("POST", form.getAttribute("action"), body);
      if (!r.ok) { showRefusal(r.data); return; }
      const box = document.querySelector("[data-refusal]");
      if (box) box.hidden = true;
      say(r.data.notice || "");
      if (form.hasAttribute("data-remove")) {
        const li = form.closest("li");
        if (li) li.remove();
      } else {
        form.querySelectorAll("input[type=text], textarea:not([data-keep])").forEach((f) => { if (f.id !== "motion-options") f.value = ""; });
      }
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
      form.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = false; });
      scheduleRefresh(r.data.result && r.data.result.head_position);
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

  if (root && window.EventSource) {
    const es = new EventSource(root.getAttribute("data-events"));
    // The first event is the state the page was rendered from.
    let first = true;
    es.addEventListener("changed", (ev) => {
      if (first) { first = false; return; }
      scheduleRefresh(ev.data);
    });
  }
})();
