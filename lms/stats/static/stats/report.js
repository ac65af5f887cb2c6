/* The annual report's progress: polls its JSON until it is ready or failed. */
(function () {
  "use strict";
  var box = document.querySelector("[data-report-job]");
  if (!box) return;
  function q(name) { return box.querySelector("[data-report-" + name + "]"); }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      q("status").textContent = s.status_label;
      q("step").textContent = s.step;
      q("bar").value = s.percent;
      if (s.error) { q("error").textContent = s.error; q("error").hidden = false; }
      if (s.pdf_url) { q("pdf").href = s.pdf_url; q("xlsx").href = s.xlsx_url; q("download").hidden = false; }
      if (!s.finished) setTimeout(poll, 1500);
    }).catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
