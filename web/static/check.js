// check.js checks a decision's proofs in the visitor's browser (the page
// /check/decisions/{meeting}/{decision}, web/check.go): the checkpoint's
// signature with the server's key (WebCrypto's Ed25519), each event's
// inclusion proof against the checkpoint's root (tlog's record proof,
// RFC 6962 hashing), and the fingerprint of the events' leaf hashes against
// the one in the link, printed beside the decision. It shows one of the
// results the page holds ready in its language, and leaves the outcome in
// the section's data-state ("ok", "fail" or "unable").
(function () {
  'use strict';
  const box = document.getElementById('check');
  if (!box || !box.dataset.checkpoint) return;

  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const hex = (a) => Array.from(a, (x) => x.toString(16).padStart(2, '0')).join('');
  const cat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const sha256 = async (b) => new Uint8Array(await crypto.subtle.digest('SHA-256', b));
  const nodeHash = (l, r) => sha256(cat(Uint8Array.of(1), l, r));
  const utf8 = (s) => new TextEncoder().encode(s);

  // maxpow2 is the largest power of two less than n (n >= 2).
  const maxpow2 = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k; };

  // rootFrom is tlog's runRecordProof: the hash of the tree of leaves
  // [lo, hi) computed from leaf n's hash and its proof.
  async function rootFrom(proof, lo, hi, n, leaf) {
    if (lo + 1 === hi) {
      if (proof.length !== 0) throw new Error('proof too long');
      return leaf;
    }
    if (proof.length === 0) throw new Error('proof too short');
    const k = maxpow2(hi - lo);
    const last = proof[proof.length - 1];
    const rest = proof.slice(0, -1);
    if (n < lo + k) return nodeHash(await rootFrom(rest, lo, lo + k, n, leaf), last);
    return nodeHash(last, await rootFrom(rest, lo + k, hi, n, leaf));
  }

  // parseNote reads a sumdb note: its signed text (origin, size, root,
  // extension lines) and its signature lines "— name base64".
  function parseNote(msg) {
    const end = msg.indexOf('\n\n');
    if (end < 0) throw new Error('not a note');
    const text = msg.slice(0, end + 1);
    const lines = text.split('\n');
    const sigs = [];
    for (const line of msg.slice(end + 2).split('\n')) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (m) sigs.push({ name: m[1], sig: b64(m[2]) });
    }
    return { text, size: Number(lines[1]), root: b64(lines[2]), sigs };
  }

  // checkSignature checks the note's signature by the verifier key
  // "name+keyhash+base64(0x01 ‖ ed25519 public key)": "ok", "bad", or
  // "unable" when this browser has no Ed25519.
  async function checkSignature(note, vkey) {
    // The key's base64 may hold '+' too: split at the first two only.
    const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
    if (!m) return 'bad';
    const [, name, keyHash] = m;
    const key = b64(m[3]);
    if (key.length !== 33 || key[0] !== 1) return 'bad';
    const hash = (await sha256(cat(utf8(name + '\n'), key))).slice(0, 4);
    if (hex(hash) !== keyHash) return 'bad';
    const s = note.sigs.find((s) => s.name === name && s.sig.length === 68 && same(s.sig.slice(0, 4), hash));
    if (!s) return 'bad';
    let k;
    try {
      k = await crypto.subtle.importKey('raw', key.slice(1), { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      return 'unable';
    }
    return (await crypto.subtle.verify({ name: 'Ed25519' }, k, s.sig.slice(4), utf8(note.text))) ? 'ok' : 'bad';
  }

  function show(state, reasons) {
    box.querySelectorAll('[data-result]').forEach((e) => { e.hidden = e.dataset.result !== state; });
    box.querySelectorAll('[data-reason]').forEach((e) => { e.hidden = !reasons.includes(e.dataset.reason); });
    box.dataset.state = state;
  }

  async function check() {
    if (!window.crypto || !crypto.subtle) {
      show('unable', ['no-crypto']);
      return;
    }
    const reasons = [];
    let ok = true;
    let unable = false;
    let note;
    try {
      note = parseNote(box.dataset.checkpoint);
    } catch (e) {
      show('fail', ['sig-bad']);
      return;
    }
    const sig = await checkSignature(note, box.dataset.key);
    reasons.push('sig-' + sig);
    ok = ok && sig !== 'bad';
    unable = sig === 'unable';

    const rows = document.querySelectorAll('[data-leaf]');
    let proved = rows.length > 0 && note.size === Number(box.dataset.size);
    const leaves = [];
    for (const row of rows) {
      const leaf = b64(row.dataset.leaf);
      leaves.push(leaf);
      const proof = row.dataset.proof ? row.dataset.proof.split(' ').map(b64) : [];
      const index = Number(row.dataset.index);
      try {
        proved = proved && index < note.size && same(await rootFrom(proof, 0, note.size, index, leaf), note.root);
      } catch (e) {
        proved = false;
      }
    }
    reasons.push(proved ? 'proof-ok' : 'proof-bad');
    ok = ok && proved;

    const fp = hex(await sha256(cat(...leaves)));
    const given = box.dataset.fp;
    if (given.length < 8) {
      reasons.push('fp-missing');
      ok = false;
    } else if (fp.startsWith(given)) {
      reasons.push('fp-ok');
    } else {
      reasons.push('fp-bad');
      ok = false;
    }
    show(!ok ? 'fail' : unable ? 'unable' : 'ok', reasons);
  }

  check().catch(() => show('fail', ['proof-bad']));
})();
