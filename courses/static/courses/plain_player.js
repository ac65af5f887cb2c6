// A plain HLS player for a lesson or hall video until the learning app's player is there: hls.js where
// the browser has MediaSource, the native player (Safari, iOS) otherwise.
(function () {
  document.querySelectorAll("video[data-hls]").forEach(function (video) {
    var source = video.dataset.hls;
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls();
      hls.loadSource(source);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = source;
    }
  });
})();
