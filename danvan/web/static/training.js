// Training area: the hall's QR refreshes itself; a quiz shows its time left and submits at 0.
// No inline script (CSP): everything starts from data-* attributes.
(function () {
  "use strict";

  function refreshQr(img) {
    var period = parseInt(img.getAttribute("data-period"), 10) || 30;
    var base = img.getAttribute("data-src");
    // Reloaded well within each window, so the code on screen is never the stale one.
    var every = Math.max(1, Math.min(5, Math.floor(period / 3))) * 1000;
    setInterval(function () {
      img.src = base + "?t=" + Date.now();
    }, every);
  }

  function countdown(timer) {
    var left = parseInt(timer.getAttribute("data-seconds"), 10) || 0;
    var form = document.getElementById("tr-attempt");
    var tick = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(tick);
        if (form) { form.submit(); }
        return;
      }
      var m = Math.floor(left / 60), s = left % 60;
      timer.textContent = timer.textContent.replace(/\d+:\d{2}/, m + ":" + (s < 10 ? "0" : "") + s);
      if (left <= 60) { timer.classList.add("tr-late"); }
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var img = document.getElementById("tr-qr");
    if (img) { refreshQr(img); }
    var timer = document.getElementById("tr-timer");
    if (timer) { countdown(timer); }
  });
})();
