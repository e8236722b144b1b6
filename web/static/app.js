// Yishi's pages work without this file; it only enhances them.
"use strict";

// Photos are made smaller in the browser before they are uploaded: a
// phone's camera takes 4000-pixel pictures of several megabytes, which a
// slow mobile network struggles with. The picked file is redrawn at most
// maxSide pixels on its longer side as a JPEG and put back into the file
// input, so that the form still posts it the ordinary way.
(function () {
  var maxSide = 1600;
  var quality = 0.85;

  function say(status, text) {
    if (status && text) {
      status.textContent = text;
    }
  }

  function resize(input) {
    var status = document.getElementById(input.id + "-status");
    var file = input.files && input.files[0];
    if (!file || !/^image\/(jpeg|png|webp)$/.test(file.type) || typeof createImageBitmap !== "function" || typeof DataTransfer !== "function") {
      return;
    }
    say(status, status && status.dataset.resizing);
    createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size < 1024 * 1024) {
        say(status, status && status.dataset.ready);
        return;
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob || blob.size >= file.size) {
          say(status, status && status.dataset.ready);
          return;
        }
        var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
        var dt = new DataTransfer();
        dt.items.add(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        input.files = dt.files;
        say(status, status && status.dataset.ready);
      }, "image/jpeg", quality);
    }).catch(function () {
      // The original file is posted as it is; the server checks it.
      say(status, status && status.dataset.ready);
    });
  }

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t instanceof HTMLInputElement && t.type === "file" && t.dataset.resize !== undefined) {
      resize(t);
    }
  });
})();

// Web Push: on /notifications, when the service offers it (the #push block
// carries its VAPID public key) and the browser can, the button registers
// the service worker (/sw.js), subscribes with the key and posts the
// subscription; otherwise the block stays hidden.
(function () {
  var box = document.getElementById("push");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return;
  }
  function key(b64) {
    var s = atob((b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) {
      out[i] = s.charCodeAt(i);
    }
    return out;
  }
  var status = document.getElementById("push-status");
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    box.hidden = false;
  }).catch(function () {
    // Without a service worker there is no push: the block stays hidden.
  });
  document.getElementById("push-subscribe").addEventListener("click", function () {
    Notification.requestPermission().then(function (perm) {
      if (perm !== "granted") {
        throw new Error("permission " + perm);
      }
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.dataset.key) });
    }).then(function (sub) {
      return fetch("/notifications/push", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf },
        body: JSON.stringify(sub.toJSON())
      });
    }).then(function (res) {
      if (!res.ok) {
        throw new Error("status " + res.status);
      }
      status.textContent = box.dataset.done;
    }).catch(function () {
      status.textContent = box.dataset.failed;
    });
  });
})();

// Signing out forgets what this browser kept for the person: the
// console's queue of commands not yet sent (IndexedDB yishi-console,
// static/console.js) — after asking, when some wait — and the console's
// pages the service worker kept (/sw.js).
(function () {
  function waiting() {
    if (!window.indexedDB) {
      return Promise.resolve(0);
    }
    return new Promise(function (resolve) {
      var r = indexedDB.open("yishi-console", 1);
      r.onupgradeneeded = function () { r.result.createObjectStore("commands", { keyPath: "seq", autoIncrement: true }); };
      r.onerror = function () { resolve(0); };
      r.onsuccess = function () {
        var d = r.result;
        var all = d.transaction("commands", "readonly").objectStore("commands").getAll();
        all.onsuccess = function () {
          d.close();
          resolve(all.result.filter(function (c) { return c.state === "pending"; }).length);
        };
        all.onerror = function () { d.close(); resolve(0); };
      };
    });
  }
  function forget() {
    var done = [];
    if (window.indexedDB) {
      done.push(new Promise(function (resolve) {
        var r = indexedDB.deleteDatabase("yishi-console");
        r.onsuccess = r.onerror = r.onblocked = function () { resolve(); };
      }));
    }
    if (window.caches) {
      done.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("yishi-") === 0; }).map(function (k) { return caches.delete(k); }));
      }));
    }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ forget: true });
    }
    return Promise.all(done);
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-signout") || form.dataset.forgotten) {
      return;
    }
    ev.preventDefault();
    waiting().then(function (n) {
      if (n > 0 && !window.confirm(form.dataset.signout.replace("%d", n))) {
        return false;
      }
      return forget().then(function () { return true; });
    }).catch(function () { return true; }).then(function (go) {
      if (go) {
        form.dataset.forgotten = "1";
        form.submit();
      }
    });
  });
})();

// A print button (the minutes) shows only where the script runs, and opens
// the browser's print dialogue, which also saves a PDF.
(function () {
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      window.print();
    });
  });
})();
