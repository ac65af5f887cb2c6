// The admin's preview player: hls.js where the browser has Media Source Extensions, else native HLS
// (Safari). The playlist URL is signed and short-lived; the segments are fetched relative to it.
(function () {
  function start(video) {
    const src = video.dataset.src;
    if (!src || video.dataset.started) return;
    video.dataset.started = "1";
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls();
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("video[data-src]").forEach(start);
  });
})();
