// Yishi's service worker: it only shows Web Push notifications and opens
// the item's page when one is tapped. It is served at /sw.js (scope: the
// whole site) and caches nothing.
"use strict";

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
