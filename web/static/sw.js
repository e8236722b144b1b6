// Yishi's service worker, served at /sw.js (scope: the whole site). It
// does two things:
//
// 1. Web Push: it shows a notification and opens the item's page when one
//    is tapped.
// 2. The offline console: it keeps the live console's pages that this
//    browser opened (/staff/meetings/<id>/console, one copy per screen,
//    the newest the network gave) and the static files those pages load,
//    so that a facilitator's console opens in a courtyard without signal.
//    A console page is fetched from the network first and only taken from
//    the cache when the network fails; the static files are fingerprinted
//    (their names change with their content), so a kept copy is always
//    right. Nothing else is kept: no other page, no API answer, no photo,
//    nothing of a page that redirected (to sign in) or failed. Signing out
//    deletes the cache (the page asks: message {forget: true}).
"use strict";

var CACHE = "yishi-console-v1";

self.addEventListener("push", function (ev) {
  var msg = {};
  try {
    msg = ev.data ? ev.data.json() : {};
  } catch (e) {
    msg = { body: ev.data ? ev.data.text() : "" };
  }
  ev.waitUntil(self.registration.showNotification(msg.title || "议事 Yishi", {
    body: msg.body || msg.text || "",
    tag: msg.id || msg.tag || undefined,
    data: { url: msg.url || "/notifications" }
  }));
});

self.addEventListener("notificationclick", function (ev) {
  ev.notification.close();
  var url = (ev.notification.data && ev.notification.data.url) || "/notifications";
  ev.waitUntil(self.clients.openWindow(url));
});

self.addEventListener("install", function (ev) {
  ev.waitUntil(self.skipWaiting());
});

// A new version of this worker drops the caches of older ones.
self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("yishi-") === 0 && k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// consoleKey is the cache key of a console page: its path and screen
// (the other parameters — wait_for, notice, item, q — do not change which
// page it is).
function consoleKey(url) {
  if (url.origin !== self.location.origin || !/^\/staff\/meetings\/[0-9a-f-]{36}\/console$/.test(url.pathname)) {
    return null;
  }
  return url.origin + url.pathname + "?screen=" + encodeURIComponent(url.searchParams.get("screen") || "attendance");
}

function isConsolePage(res) {
  return res.ok && !res.redirected && res.type === "basic" && (res.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

function keepPage(key, res) {
  return caches.open(CACHE).then(function (c) { return c.put(key, res); });
}

// fromNetworkFirst answers a console page from the network, keeping a
// copy, or from the copy when the network fails.
function fromNetworkFirst(req, key) {
  return fetch(req).then(function (res) {
    if (isConsolePage(res)) {
      keepPage(key, res.clone());
    }
    return res;
  }).catch(function (err) {
    return caches.match(key, { ignoreVary: true }).then(function (hit) {
      if (hit) {
        return hit;
      }
      throw err;
    });
  });
}

// fromCacheFirst answers a static file from the cache, else from the
// network, keeping it when a console page asked for it.
function fromCacheFirst(ev) {
  return caches.match(ev.request, { ignoreVary: true }).then(function (hit) {
    if (hit) {
      return hit;
    }
    return fetch(ev.request).then(function (res) {
      if (res.ok) {
        ev.waitUntil(keepAsset(ev.clientId, ev.request.url, res.clone()));
      }
      return res;
    });
  });
}

// fingerprintless is a static file's path without its fingerprint.
function fingerprintless(u) {
  return new URL(u).pathname.replace(/\.[0-9a-f]{8}(\.[a-z]+)$/, "$1");
}

// keepAsset keeps a static file a console page loaded, in place of the
// copies of its older versions. (A cache is only ever opened to keep
// something: opening one makes it.)
function keepAsset(clientId, url, res) {
  return self.clients.get(clientId).then(function (client) {
    if (!client || !consoleKey(new URL(client.url))) {
      return null;
    }
    return caches.open(CACHE).then(function (c) {
      return c.keys().then(function (reqs) {
        return Promise.all(reqs.filter(function (r) {
          return r.url !== url && r.url.indexOf("/static/") > 0 && fingerprintless(r.url) === fingerprintless(url);
        }).map(function (r) { return c.delete(r); }));
      }).then(function () { return c.put(url, res); });
    });
  }).catch(function () { return null; });
}

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET") {
    return;
  }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    ev.respondWith(fromCacheFirst(ev));
    return;
  }
  var key = consoleKey(url);
  if (key) {
    ev.respondWith(fromNetworkFirst(req, key));
  }
});

// Messages from the pages: {keep: [urls], assets: [urls]} keeps the
// console's other screens of an opened meeting and the static files of
// the console page (those not kept yet: the page that registered this
// worker loaded them before it was there); {forget: true} deletes
// everything kept (signing out).
self.addEventListener("message", function (ev) {
  var d = ev.data || {};
  if (d.forget) {
    ev.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("yishi-") === 0; }).map(function (k) { return caches.delete(k); }));
    }));
    return;
  }
  if (Array.isArray(d.keep)) {
    ev.waitUntil(caches.open(CACHE).then(function (c) {
      var assets = (Array.isArray(d.assets) ? d.assets : []).slice(0, 10).map(function (u) {
        var url = new URL(u, self.location.origin);
        if (url.origin !== self.location.origin || url.pathname.indexOf("/static/") !== 0) {
          return null;
        }
        return c.match(url.href, { ignoreVary: true }).then(function (hit) {
          return hit || fetch(url.href).then(function (res) { return res.ok ? c.put(url.href, res) : null; });
        }).catch(function () { return null; });
      });
      return Promise.all(assets.concat(d.keep.slice(0, 10).map(function (u) {
        var url = new URL(u, self.location.origin);
        var key = consoleKey(url);
        if (!key) {
          return null;
        }
        return c.match(key, { ignoreVary: true }).then(function (hit) {
          return hit || fetch(url.href, { credentials: "same-origin" }).then(function (res) {
            return isConsolePage(res) ? c.put(key, res) : null;
          });
        }).catch(function () { return null; });
      })));
    }));
  }
});
