// Refresh [data-poll] regions without reloading the page, and tick [data-countdown] timers.
// Skips a refresh while the user is typing inside the region so input is never lost.
(function () {
  "use strict";
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.max(0, Math.round((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
      if (left === 0 && el.dataset.passed) { el.textContent = el.dataset.passed; return; }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = "in " + h + "h " + String(m).padStart(2, "0") + "m " + String(s).padStart(2, "0") + "s";
    });
  }
  function poll(region) {
    var busy = region.contains(document.activeElement) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (busy) { return; }
    fetch(region.dataset.poll, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { region.innerHTML = html; tick(); } })
      .catch(function () { /* keep the last view; try again next time */ });
  }
  document.querySelectorAll("[data-poll]").forEach(function (region) {
    var seconds = parseInt(region.dataset.pollSeconds || "10", 10);
    setInterval(function () { poll(region); }, seconds * 1000);
  });
  tick();
  setInterval(tick, 1000);
})();
