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
