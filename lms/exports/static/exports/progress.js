// The export page: ask the server how far the export has got, once a second, until it is ready or
// has failed; then show the download link or the error. No library, no CDN.
(function () {
  "use strict";

  function start(root) {
    const url = root.dataset.statusUrl;
    const status = root.querySelector("[data-export-status]");
    const rows = root.querySelector("[data-export-rows]");
    const bar = root.querySelector("[data-export-bar]");
    const waiting = root.querySelector("[data-export-waiting]");
    const error = root.querySelector("[data-export-error]");
    const download = root.querySelector("[data-export-download]");
    const link = root.querySelector("[data-export-link]");
    const filename = root.querySelector("[data-export-filename]");
    let delay = 1000;

    function show(state) {
      status.textContent = state.status_label;
      bar.value = state.percent;
      bar.textContent = state.percent + "%";
      rows.textContent = state.rows_text;
      waiting.hidden = state.status !== "queued";
      error.hidden = !state.error;
      error.textContent = state.error;
      download.hidden = !state.download_url;
      if (state.download_url) {
        link.href = state.download_url;
        filename.textContent = state.filename;
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then((state) => {
          show(state);
          delay = 1000;
          if (!state.finished) window.setTimeout(poll, delay);
        })
        .catch(() => {
          delay = Math.min(delay * 2, 15000); // the server restarting: try again, less often
          window.setTimeout(poll, delay);
        });
    }

    poll();
  }

  document.querySelectorAll("[data-export-job]").forEach(start);
})();
