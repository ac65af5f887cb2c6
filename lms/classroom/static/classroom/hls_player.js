/* Live HLS for phones (lms/classroom/live_hls.py): in a big room a member watches the lecture as HLS,
   a few seconds behind, instead of a WebRTC connection to Janus. The page says which
   (#video-mode) and lets the member switch; the choice is kept in this browser.

   This wraps the Janus stage (janus_media.js) the room's client (lms/static/lms/classroom.js)
   creates: `subscribe(feed)` plays the room's HLS playlist (its signed URL is the page's
   #live-hls data-url, the same as `welcome`'s media.hls) with hls.js (global `Hls`; Safari plays HLS
   natively) instead of subscribing in Janus; `stop()` and `destroy()` stop it too. Publishing is
   untouched. The websocket (presence, chat, hands, polls, live minutes) is the same in both modes. */
(function () {
  "use strict";
  const box = document.getElementById("live-hls");
  const Base = window.JanusStage;
  if (!box || !Base) return;
  const KEY = "lms.liveVideoMode";
  const RETRY_MS = 2000;
  const badge = document.getElementById("video-mode");
  const button = document.getElementById("video-mode-switch");

  function stored() { try { return localStorage.getItem(KEY); } catch (error) { return null; } }
  function store(mode) { try { localStorage.setItem(KEY, mode); } catch (error) { /* private mode */ } }
  function mode() { return stored() || (box.dataset.preferred === "1" ? "hls" : "webrtc"); }

  function showMode() {
    const hls = mode() === "hls";
    badge.textContent = hls ? box.dataset.labelHls : box.dataset.labelWebrtc;
    badge.dataset.mode = hls ? "hls" : "webrtc";
    button.textContent = hls ? box.dataset.switchWebrtc : box.dataset.switchHls;
  }

  class LiveStage extends Base {
    constructor(options) {
      super(options);
      this.player = null;   // the hls.js instance, or "native" (Safari)
      this.feed = null;     // the feed being watched (either way)
      this.retry = null;
      LiveStage.current = this;
    }

    subscribe(feed) {
      this.feed = feed;
      if (mode() === "hls") {
        if (this.wanted) super.stop();  // leave Janus: the video comes from the playlist
        this.playHls();
      } else {
        this.stopHls();
        super.subscribe(feed);
      }
    }

    stop() { this.feed = null; this.stopHls(); super.stop(); }

    destroy() { this.stopHls(); super.destroy(); }

    playHls() {
      if (this.player) return;
      const video = this.options.video;
      const url = box.dataset.url;
      video.srcObject = null;
      video.muted = true;  // a muted video may start by itself; the sound button turns it on
      const playing = () => {
        this.note("");
        const sound = document.getElementById("sound-on");
        if (sound) sound.hidden = !video.muted;
      };
      video.addEventListener("playing", playing, { once: true });
      if (window.Hls && window.Hls.isSupported()) {
        const hls = new window.Hls({ liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 6, lowLatencyMode: false });
        this.player = hls;
        hls.on(window.Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
        hls.on(window.Hls.Events.ERROR, (event, data) => {
          if (!data.fatal || this.player !== hls) return;
          if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
          // The playlist is not there yet (ffmpeg starts a few seconds after the teacher) or the
          // network dropped: start again shortly.
          this.stopHls();
          clearTimeout(this.retry);
          this.retry = setTimeout(() => { if (this.feed !== null && mode() === "hls") this.playHls(); }, RETRY_MS);
        });
        hls.loadSource(url);
        hls.attachMedia(video);
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        this.player = "native";
        video.src = url;
        video.play().catch(() => {});
      }
    }

    stopHls() {
      clearTimeout(this.retry);
      if (!this.player) return;
      const video = this.options.video;
      if (this.player !== "native") this.player.destroy();
      this.player = null;
      video.removeAttribute("src");
      video.load();
    }
  }

  button.addEventListener("click", () => {
    store(mode() === "hls" ? "webrtc" : "hls");
    showMode();
    const stage = LiveStage.current;
    if (stage && stage.feed !== null) {
      const feed = stage.feed;
      stage.stopHls();
      Base.prototype.stop.call(stage);
      stage.subscribe(feed);
    }
  });
  showMode();
  window.JanusStage = LiveStage;
})();
