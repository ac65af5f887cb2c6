/* The live room's video through the Janus media server (VideoRoom), with janus.js from the npm package
   janus-gateway (lms/static/vendor/janus.js and adapter.js). The classroom page decides who publishes
   and which feed everyone follows (its websocket's `media.publisher`, see lms/classroom/media.py);
   this only carries the video: `publish` sends the teacher's tracks to Janus once, `subscribe`
   receives the feed from Janus. Janus refuses sessions without the token Django signed and joins
   without the room's token (both in `welcome`'s `media`).

   const stage = new JanusStage({ server, token, room, roomToken, iceServers, video, onNote });
   stage.publish(feed, videoTrack, audioTrack)   // teacher or staff: feed is theirs from the server
   stage.replaceVideo(track)                     // camera → screen without renegotiating
   stage.subscribe(feed)                         // everyone else
   stage.stop()                                  // stop sending or receiving
   stage.destroy()                               // leave Janus (the class ended) */
(function () {
  "use strict";
  const RETRY_MS = 1500;
  let initialised = null;

  function init() {
    if (!initialised) {
      initialised = new Promise((resolve) => {
        window.Janus.init({ debug: false, dependencies: window.Janus.useDefaultDependencies(), callback: resolve });
      });
    }
    return initialised;
  }

  class JanusStage {
    constructor(options) {
      this.options = options;
      this.janus = null;
      this.handle = null;
      this.wanted = null;  // { kind: "publish", feed, video, audio } or { kind: "subscribe", feed }
      this.current = null; // what `handle` is doing
      this.remote = null;  // the stream the viewer shows
      this.timer = null;
      this.gone = false;
    }

    note(message) { if (this.options.onNote) this.options.onNote(message || ""); }

    async session() {
      if (this.janus) return this.janus;
      await init();
      return new Promise((resolve, reject) => {
        const janus = new window.Janus({
          server: this.options.server,
          token: this.options.token,
          iceServers: this.options.iceServers,
          success: () => { this.janus = janus; resolve(janus); },
          error: (cause) => {  // refused, or the connection to Janus dropped: start again later
            this.janus = this.handle = this.current = null;
            reject(new Error(String(cause)));
            this.later();
          },
        });
      });
    }

    later() {
      clearTimeout(this.timer);
      if (!this.gone && this.wanted) this.timer = setTimeout(() => this.apply(), RETRY_MS);
    }

    publish(feed, video, audio) {
      const same = this.wanted && this.wanted.kind === "publish" && this.wanted.feed === feed;
      if (same) {  // asked again (连线 names the publisher twice): keep the join under way, new tracks
        this.wanted.audio = audio;
        this.replaceVideo(video);
      } else {
        this.wanted = { kind: "publish", feed, video, audio };
      }
      this.apply();
    }

    subscribe(feed) {
      if (this.wanted && this.wanted.kind === "subscribe" && this.wanted.feed === feed && this.current) return;
      this.wanted = { kind: "subscribe", feed };
      this.apply();
    }

    replaceVideo(track) {
      if (this.wanted && this.wanted.kind === "publish") this.wanted.video = track;
      const pc = this.handle && this.handle.webrtcStuff && this.handle.webrtcStuff.pc;
      if (!pc) return;
      pc.getSenders().filter((s) => s.track && s.track.kind === "video").forEach((s) => s.replaceTrack(track));
    }

    stop() {
      this.wanted = null;
      this.detach();
    }

    destroy() {
      this.gone = true;
      this.stop();
      if (this.janus) this.janus.destroy({ notifyDestroyed: false });
      this.janus = null;
    }

    detach() {
      clearTimeout(this.timer);
      if (this.handle) this.handle.detach();
      this.handle = this.current = null;
      if (this.remote) { this.remote = null; this.options.video.srcObject = null; }
    }

    abandon(wanted) {  // a join given up because something else is wanted now: it is no longer under way
      if (this.current === wanted) this.current = null;
    }

    same(a, b) { return a && b && a.kind === b.kind && a.feed === b.feed; }

    async apply() {
      const wanted = this.wanted;
      if (this.gone || !wanted || this.same(this.current, wanted)) return;
      this.detach();
      this.current = wanted;
      let janus;
      try {
        janus = await this.session();
      } catch (error) {
        this.current = null;
        return;  // session() retries
      }
      if (this.wanted !== wanted) { this.abandon(wanted); return; }
      janus.attach({
        plugin: "janus.plugin.videoroom",
        success: (handle) => {
          if (this.wanted !== wanted) { handle.detach(); this.abandon(wanted); return; }
          this.handle = handle;
          const join = { request: "join", room: this.options.room, token: this.options.roomToken };
          if (wanted.kind === "publish") {
            handle.send({ message: { ...join, ptype: "publisher", id: wanted.feed, display: String(wanted.feed) } });
          } else {
            handle.send({ message: { ...join, ptype: "subscriber", streams: [{ feed: wanted.feed }] } });
          }
        },
        error: () => { this.current = null; this.later(); },
        onmessage: (message, jsep) => this.message(wanted, message, jsep),
        onremotetrack: (track, mid, on) => this.remoteTrack(track, on),
        webrtcState: (up) => { if (!up && this.same(this.current, wanted)) { this.current = null; this.later(); } },
      });
    }

    message(wanted, message, jsep) {
      const handle = this.handle;
      if (!handle || this.wanted !== wanted) return;
      if (message.error_code) {  // e.g. the publisher has not reached Janus yet: ask again shortly
        this.detach();
        this.later();
        return;
      }
      if (wanted.kind === "publish") {
        if (message.videoroom === "joined") {
          const tracks = [{ type: "video", capture: wanted.video, recv: false }];
          if (wanted.audio) tracks.push({ type: "audio", capture: wanted.audio, recv: false });
          handle.createOffer({
            tracks,
            success: (offer) => handle.send({ message: { request: "publish", audio: !!wanted.audio, video: true }, jsep: offer }),
            error: (error) => this.note(String(error)),
          });
        }
        if (jsep) handle.handleRemoteJsep({ jsep });
        return;
      }
      if (jsep) {
        handle.createAnswer({
          jsep,
          tracks: [{ type: "data" }],  // audio and video are received, nothing is sent
          success: (answer) => handle.send({ message: { request: "start", room: this.options.room }, jsep: answer }),
          error: (error) => this.note(String(error)),
        });
      }
    }

    remoteTrack(track, on) {
      const video = this.options.video;
      if (!this.remote) this.remote = new MediaStream();
      if (on) {
        this.remote.getTracks().filter((t) => t.kind === track.kind).forEach((t) => this.remote.removeTrack(t));
        this.remote.addTrack(track);
      } else {
        this.remote.getTracks().filter((t) => t.id === track.id).forEach((t) => this.remote.removeTrack(t));
      }
      if (video.srcObject !== this.remote) video.srcObject = this.remote;
      if (on && track.kind === "video") this.note("");
      if (this.options.onTrack) this.options.onTrack(track, on);
    }
  }

  window.JanusStage = JanusStage;
})();
