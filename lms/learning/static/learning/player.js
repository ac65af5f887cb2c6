/* The on-demand player (lms.learning): hls.js (native HLS on Safari), resumes at the position kept on
   the server, speeds up to the allowed maximum, and reports what was really played.

   What counts: seconds the playhead moved through while playing — not paused, not seeking, the tab
   visible, the rate at most data-max-rate. They are kept as [start, end] intervals and sent with a
   heartbeat every data-heartbeat-seconds; the server also checks them against wall time. */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function setUp(box) {
    var video = box.querySelector("video");
    var rateSelect = box.querySelector("[data-rate]");
    var status = box.querySelector("[data-status]");
    var shareOut = box.querySelector("[data-share]");
    var src = box.dataset.src;
    var url = box.dataset.heartbeatUrl;
    var every = (parseFloat(box.dataset.heartbeatSeconds) || 10) * 1000;
    var maxRate = parseFloat(box.dataset.maxRate) || 1.5;
    var duration = parseFloat(box.dataset.duration) || 0;
    var resumeAt = parseFloat(box.dataset.position) || 0;
    var pending = []; // closed intervals not yet sent
    var openStart = null; // start of the interval being played
    var last = null; // playhead at the last counted timeupdate
    var stopped = false; // superseded by another tab or device
    var sending = false;

    function say(text) {
      status.textContent = text || "";
    }

    function counting() {
      return !video.paused && !video.seeking && !video.ended && document.visibilityState === "visible" &&
        video.playbackRate <= maxRate + 1e-6 && !stopped;
    }

    function close() {
      if (openStart !== null && last !== null && last > openStart) pending.push([openStart, last]);
      openStart = null;
      last = null;
    }

    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      if (!counting()) {
        close();
        return;
      }
      // A jump (seek, stall recovery) larger than a normal tick starts a new interval.
      if (last === null || now < last || now - last > 2 * maxRate) {
        close();
        openStart = now;
      }
      last = now;
    });
    ["seeking", "pause", "ended", "waiting"].forEach(function (name) {
      video.addEventListener(name, close);
    });
    // Pausing reports at once: the seconds played and where the member stopped are on the server
    // before they reload, open the video elsewhere or leave (the leaving heartbeat of a reload comes
    // after the new page's viewing has superseded this one, and is refused). A hidden tab sends its
    // own leaving heartbeat (below).
    video.addEventListener("pause", function () {
      if (document.visibilityState === "visible") beat(false);
    });
    video.addEventListener("ratechange", function () {
      if (video.playbackRate > maxRate) video.playbackRate = maxRate;
      close();
    });
    rateSelect.addEventListener("change", function () {
      video.playbackRate = Math.min(parseFloat(rateSelect.value) || 1, maxRate);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") {
        close();
        if (!video.paused) {
          video.pause();
          say(box.dataset.msgHidden);
        }
        beat(true);
      }
    });

    function take() {
      // What to send: the closed intervals and the part of the open one played so far.
      var out = pending;
      pending = [];
      if (openStart !== null && last !== null && last > openStart) {
        out.push([openStart, last]);
        openStart = last;
      }
      return out;
    }

    var notBefore = 0; // after a 503 busy: not before the server's Retry-After
    var savedPosition = null; // the position the server last took

    function keep(intervals) {
      // Not taken by the server: sent again with the next heartbeat (it believes them as long as
      // the wall time since its last heartbeat covers them).
      pending = intervals.concat(pending);
    }

    function beat(leaving) {
      if (!url || stopped || (sending && !leaving)) return;
      if (!leaving && Date.now() < notBefore) return;
      var position = video.currentTime || 0;
      var intervals = take();
      // Nothing played since: a heartbeat only if the playhead moved (a seek while paused).
      if (!intervals.length && !leaving && position === savedPosition) return;
      var body = JSON.stringify({ intervals: intervals, position: position });
      sending = true;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive: !!leaving,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: body,
      }).then(function (response) {
        if (response.status >= 500) {
          // Overloaded (503 busy, with Retry-After) or failing: nothing was taken, keep it all.
          keep(intervals);
          var wait = parseFloat(response.headers.get("Retry-After")) || every / 1000;
          notBefore = Date.now() + wait * 1000;
          return response.json().then(function (data) {
            if (data && data.detail) say(data.detail);
          }, function () {});
        }
        return response.json().then(function (data) {
          if (response.status === 409) {
            stopped = true;
            video.pause();
            say(box.dataset.msgSuperseded);
          } else if (response.ok) {
            savedPosition = position;
            if (notBefore) say("");
            notBefore = 0;
            box.dataset.watchedSeconds = data.watched_seconds;
            box.dataset.beats = (parseInt(box.dataset.beats || "0", 10) + 1).toString();
            shareOut.textContent = Math.floor(data.share * 100);
            if (data.completed) box.dataset.completed = "true";
          } else if (data && data.detail) {
            say(data.detail);
          }
        });
      }).catch(function () {
        // Offline: keep the intervals for the next heartbeat.
        keep(intervals);
      }).then(function () {
        sending = false;
      });
    }

    setInterval(function () { beat(false); }, every);
    window.addEventListener("pagehide", function () { close(); beat(true); });

    function resume() {
      var end = video.duration || duration;
      if (resumeAt > 0 && (!end || resumeAt < end - 3)) video.currentTime = resumeAt;
      resumeAt = 0;
      box.dataset.ready = "true";
    }

    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ enableWorker: false, startPosition: resumeAt > 0 ? resumeAt : -1 });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        if (data.fatal) say(box.dataset.msgError);
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      video.addEventListener("loadedmetadata", function () {
        resumeAt = 0;
        box.dataset.ready = "true";
      }, { once: true });
      box.hls = hls;
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src; // Safari plays HLS itself
      video.addEventListener("loadedmetadata", resume, { once: true });
    } else {
      say(box.dataset.msgError);
    }
  }

  function start() {
    document.querySelectorAll("[data-player]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
