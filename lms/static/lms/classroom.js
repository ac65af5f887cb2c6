/* The live room's client: one websocket (see lms/classroom/consumers.py for the message types),
   presence from page visibility and focus, chat, hands, the poll, video over WebRTC (the teacher
   publishes, everyone else receives; see lms/classroom/media.py) browser to browser or through the
   Janus media server (janus_media.js, when `welcome` says so), and reconnection with back-off. */
(function () {
  "use strict";
  const room = document.getElementById("room");
  if (!room) return;
  const me = Number(room.dataset.user);
  const moderator = room.dataset.moderator === "1";
  const $ = (id) => document.getElementById(id);
  let socket = null;
  let retry = 0;
  let ended = false;
  let refusal = "";  // why the server is about to close this connection, in words
  const FINAL_CODES = [4401, 4403, 4404];  // not logged in, not allowed, no such room: do not retry

  function text(tag, content, attrs) {
    const node = document.createElement(tag);
    node.textContent = content;
    Object.entries(attrs || {}).forEach(([key, value]) => node.setAttribute(key, value));
    return node;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  // The connection in words with a colour (data-state): connecting, connected, reconnecting, disconnected.
  function status(message, state) {
    const badge = $("room-status");
    badge.textContent = message;
    badge.dataset.state = state;
  }

  const people = new Map();
  const roleOrder = { teacher: 0, staff: 1, terminal: 2, member: 3 };

  function showParticipants() {
    if (!$("participants")) return;  // the list is the teacher's and staff's
    const sorted = [...people.values()].sort((a, b) =>
      (roleOrder[a.role] ?? 9) - (roleOrder[b.role] ?? 9) || a.classroom.localeCompare(b.classroom) || a.name.localeCompare(b.name));
    $("participants").replaceChildren(...sorted.map((p) => {
      const label = p.name + (p.classroom ? " · " + p.classroom : "") + (p.state === "away" ? " (" + room.dataset.labelAway + ")" : "");
      const item = text("li", label, { "data-testid": "participant", "data-role": p.role, "data-state": p.state, "data-user": p.id });
      if (moderator && p.classroom && (p.role === "terminal" || p.role === "staff")) {  // 连线 / 收回
        const onLine = Boolean(onStage && onStage.user === p.id);
        const button = text("button", onLine ? room.dataset.labelTakeBack : room.dataset.labelHandover,
          { type: "button", class: "link", "data-testid": onLine ? "take-back" : "handover" });
        button.addEventListener("click", () => { if (onLine) publish("camera"); else { handingTo = p.id; send({ type: "media.handover", user: p.id }); } });
        item.append(" ", button);
      }
      if (moderator && p.id !== me && p.role !== "teacher") {
        const remove = text("button", room.dataset.labelRemove, { type: "button", class: "link" });
        remove.addEventListener("click", () => { if (confirm(room.dataset.confirmRemove)) send({ type: "participant.remove", user: p.id }); });
        item.append(" ", remove);
      }
      return item;
    }));
    $("participant-count").textContent = people.size;
  }

  function showHands(hands) {
    $("hands").replaceChildren(...hands.map((hand) => {
      const item = text("li", hand.name, { "data-testid": "hand", "data-user": hand.id });
      if (moderator) {
        const lower = text("button", room.dataset.labelLower, { type: "button", class: "link" });
        lower.addEventListener("click", () => send({ type: "hand.lower", user: hand.id }));
        item.append(" ", lower);
      }
      return item;
    }));
    const button = $("hand-button");
    if (button) {
      const raised = hands.some((hand) => hand.id === me);
      button.textContent = raised ? button.dataset.lower : button.dataset.raise;
      button.dataset.raised = raised ? "1" : "";
    }
  }

  function chatLine(message) {
    const item = text("li", "", { "data-testid": "chat-message", "data-id": message.id });
    item.append(text("strong", message.author + "："), message.deleted ? text("em", "—") : message.text);
    if (moderator && !message.deleted) {
      const remove = text("button", room.dataset.labelDelete, { type: "button", class: "link" });
      remove.addEventListener("click", () => send({ type: "chat.delete", id: message.id }));
      item.append(" ", remove);
    }
    return item;
  }

  function showPoll(poll) {
    const box = $("poll");
    if (!poll) return;
    const total = poll.counts.reduce((a, b) => a + b, 0);
    const list = text("ul", "", { class: "choices" });
    poll.options.forEach((option, index) => {
      const label = option + " — " + poll.counts[index] + (total ? " (" + Math.round(100 * poll.counts[index] / total) + "%)" : "");
      const choice = text("button", label, { type: "button", class: "secondary", "data-testid": "poll-option" });
      choice.disabled = !poll.open;
      choice.addEventListener("click", () => send({ type: "poll.vote", choice: index }));
      list.append(choice);
    });
    box.replaceChildren(text("p", poll.question, { "data-open": poll.open ? "1" : "0" }), list);
  }

  // --- Video -------------------------------------------------------------------------------------
  const video = $("stage-video");
  let iceServers = [];
  let myPeer = null;
  let camera = null;        // publisher: the camera and microphone
  let screen = null;        // publisher: the shared screen, while sharing
  let source = null;        // publisher: "camera" or "screen"
  const viewers = new Map(); // publisher: viewer peer -> RTCPeerConnection
  let viewing = null;       // viewer: { peer, pc } of the publisher it receives
  let pinging = null;
  let janus = null;         // the Janus stage (lms/classroom/static/classroom/janus_media.js) in Janus mode
  let videoDown = "";       // Janus mode, but the server could not be reached: why there is no video
  let onStage = null;       // who sends video now (`media.publisher`)
  let handingTo = null;     // moderator: the township screen or staff just handed the video (连线)
  let invited = false;      // 连线: this township page was handed the video and sends its camera
  let guest = null;         // 连线 through Janus: the big room's Janus stage this page sends to
  const onLineBadge = text("span", room.dataset.labelOnLine, { class: "badge", "data-testid": "on-line", hidden: "" });
  $("stage-source").before(onLineBadge, " ");

  function stageNote(message) { $("stage-note").textContent = message || ""; }

  function gathered(pc) {  // complete SDP (candidates included): one message each way per viewer
    return new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") resolve(); });
      setTimeout(resolve, 3000);
    });
  }

  function videoTrack() { return (source === "screen" && screen ? screen : camera).getVideoTracks()[0]; }

  async function offerTo(peer) {
    if (viewers.has(peer)) viewers.get(peer).close();
    const pc = new RTCPeerConnection({ iceServers });
    viewers.set(peer, pc);
    const stream = new MediaStream([videoTrack(), ...camera.getAudioTracks()]);
    stream.getTracks().forEach((track) => pc.addTrack(track, stream));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    send({ type: "media.signal", to: peer, description: { type: "offer", sdp: pc.localDescription.sdp } });
    $("viewer-count").textContent = viewers.size;
  }

  async function publish(kind) {
    $("room-error").textContent = "";
    try {
      if (!camera) camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      if (kind === "screen" && !screen) {
        screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
        screen.getVideoTracks()[0].addEventListener("ended", () => { screen = null; publish("camera"); });
      }
    } catch (error) {
      $("room-error").textContent = room.dataset.labelNoDevice + " (" + error.name + ")";
      return;
    }
    if (kind === "camera" && screen) { screen.getTracks().forEach((t) => t.stop()); screen = null; }
    source = kind;
    video.srcObject = new MediaStream([videoTrack()]);
    video.muted = true;  // no echo of oneself
    viewers.forEach((pc) => pc.getSenders().filter((s) => s.track && s.track.kind === "video").forEach((s) => s.replaceTrack(videoTrack())));
    if (janus) janus.replaceVideo(videoTrack());
    send({ type: "media.publish", source: kind });
    sourceButtons();
  }

  function sourceButtons() {  // the source being sent is not offered again
    if (!$("publish-camera")) return;  // a township page sending because of 连线
    $("publish-camera").disabled = source === "camera";
    $("publish-screen").disabled = source === "screen";
    $("publish-stop").hidden = !source;
  }

  function release() {  // stop sending here (the server is told apart, if at all)
    [camera, screen].forEach((stream) => stream && stream.getTracks().forEach((t) => t.stop()));
    camera = screen = source = null;
    viewers.forEach((pc) => pc.close());
    viewers.clear();
    if (janus) janus.stop();
    video.srcObject = null;
    sourceButtons();
  }

  function unpublish() {
    release();
    send({ type: "media.stop" });
  }

  // 连线: a moderator of the big room handed this township page the video (`media.invite`, with the big
  // room's Janus and tokens in Janus mode): it sends its camera until someone else is named publisher.
  async function invite(m) {
    invited = true;
    stopViewing();
    if (guest) guest.destroy();
    guest = null;
    if (m.media && m.media.mode === "janus" && !m.media.error && window.JanusStage) {
      guest = new window.JanusStage({
        server: m.media.url, token: m.media.token, room: m.media.room, roomToken: m.media.room_token,
        iceServers, video, onNote: stageNote,
      });
    }
    onLineBadge.hidden = false;
    await publish("camera");
    if (!camera) offLine();  // no camera: nothing to send
  }

  function offLine() {
    invited = false;
    onLineBadge.hidden = true;
    if (guest) guest.destroy();
    guest = null;
    release();
  }

  function stopViewing() {
    if (viewing) viewing.pc && viewing.pc.close();
    viewing = null;
  }

  function follow(publisher) {  // everyone but the publisher receives the publisher's video
    onStage = publisher;
    const mine = publisher && publisher.peer === myPeer;
    if (invited && !mine) offLine();  // 收回: the video was taken back
    if (handingTo && publisher && publisher.user === handingTo) { handingTo = null; release(); }  // 连线 given
    showParticipants();
    const label = $("stage-source");
    label.textContent = publisher ? publisher.name + " · " + (publisher.source === "screen" ? room.dataset.labelScreen : room.dataset.labelCamera) : "";
    if (videoDown) { stageNote(videoDown); return; }
    if (janus) { followThroughJanus(publisher); return; }
    if (publisher && publisher.peer === myPeer) { stageNote(""); return; }  // one's own video
    if (!publisher) { stopViewing(); if (!camera) { video.srcObject = null; stageNote(room.dataset.labelNoVideo); } return; }
    if (camera) { stageNote(room.dataset.labelOtherPublisher); return; }
    if (viewing && viewing.peer === publisher.peer) return;
    stopViewing();
    viewing = { peer: publisher.peer, pc: null };
    stageNote(room.dataset.labelVideoConnecting);
    send({ type: "media.request" });
  }

  function followThroughJanus(publisher) {  // one upload to Janus; everyone else receives from Janus
    if (!publisher) { janus.stop(); if (!camera) { video.srcObject = null; stageNote(room.dataset.labelNoVideo); } return; }
    if (publisher.peer === myPeer) {
      stageNote("");
      if (!camera) return;  // 连线: the camera is still starting; its media.publish names us again
      if (guest) janus.stop();  // 连线: it sends to the big room's Janus, and stops receiving
      (guest || janus).publish(publisher.feed, videoTrack(), camera.getAudioTracks()[0]);
      if (!video.srcObject) { video.srcObject = new MediaStream([videoTrack()]); video.muted = true; }
      return;
    }
    if (camera) { stageNote(room.dataset.labelOtherPublisher); return; }
    stageNote(room.dataset.labelVideoConnecting);
    janus.subscribe(publisher.feed);
  }

  function mediaServer(media) {  // `welcome` says whether video goes through Janus
    videoDown = (media && media.mode === "janus" && media.error) || "";
    if (!media || media.mode !== "janus" || videoDown) return;
    if (janus || !window.JanusStage) return;
    janus = new window.JanusStage({
      server: media.url, token: media.token, room: media.room, roomToken: media.room_token,
      iceServers, video, onNote: stageNote,
      onTrack: () => { $("sound-on").hidden = !video.muted; },
    });
  }

  async function answer(from, description) {
    if (!viewing || viewing.peer !== from) return;
    if (viewing.pc) viewing.pc.close();
    const pc = new RTCPeerConnection({ iceServers });
    viewing.pc = pc;
    pc.addEventListener("track", (event) => {
      if (video.srcObject !== event.streams[0]) video.srcObject = event.streams[0];
      stageNote("");
      $("sound-on").hidden = !video.muted;
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed" && viewing && viewing.pc === pc) {  // ask again for a new offer
        stageNote(room.dataset.labelVideoConnecting);
        setTimeout(() => send({ type: "media.request" }), 2000);
      }
    });
    await pc.setRemoteDescription(description);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    send({ type: "media.signal", to: from, description: { type: "answer", sdp: pc.localDescription.sdp } });
  }

  const handlers = {
    welcome(m) {
      status(room.dataset.labelConnected, "connected");
      myPeer = m.peer;
      iceServers = m.ice_servers;
      clearInterval(pinging);  // pings keep this connection's presence counting
      pinging = setInterval(() => send({ type: "ping" }), m.ping_seconds * 1000);
      people.clear();
      m.participants.forEach((p) => people.set(p.id, p));
      showParticipants();
      $("chat").replaceChildren(...m.chat.map(chatLine));
      $("muted-badge").hidden = !m.chat_muted;
      showHands(m.hands);
      showPoll(m.poll);
      retry = 0;
      stopViewing();
      viewers.forEach((pc) => pc.close());
      viewers.clear();
      mediaServer(m.media);
      if (invited) offLine();  // 连线 was this connection's: a new one is not handed the video
      if (camera) send({ type: "media.publish", source });  // back after a drop: go on sending
      follow(m.publisher);
    },
    participant(m) {
      if (m.participant) people.set(m.id, m.participant); else people.delete(m.id);
      showParticipants();
    },
    "media.publisher": (m) => follow(m.publisher),
    "media.viewer": (m) => { if (camera) offerTo(m.peer); },
    "media.left": (m) => { const pc = viewers.get(m.peer); if (pc) pc.close(); viewers.delete(m.peer); $("viewer-count").textContent = viewers.size; },
    "media.signal"(m) {
      if (m.description.type === "offer") answer(m.from, m.description);
      else if (viewers.has(m.from)) viewers.get(m.from).setRemoteDescription(m.description);
    },
    "media.full": (m) => { stopViewing(); stageNote(m.message); },
    "media.invite": invite,
    "chat.message": (m) => $("chat").append(chatLine(m)),
    "chat.deleted": (m) => {
      const line = $("chat").querySelector('[data-id="' + m.id + '"]');
      if (line) line.replaceWith(chatLine({ ...m, author: line.querySelector("strong").textContent.replace("：", ""), deleted: true }));
    },
    "chat.muted": (m) => { $("muted-badge").hidden = !m.muted; if ($("mute-toggle")) $("mute-toggle").checked = m.muted; },
    hands: (m) => showHands(m.hands),
    poll: (m) => showPoll(m.poll),
    removed() { ended = true; status(room.dataset.labelRemoved, "disconnected"); leaveStage(); },
    "class.ended"() { ended = true; status(room.dataset.labelEnded, "disconnected"); leaveStage(); },
    error: (m) => { $("room-error").textContent = m.message; },
    refused: (m) => { refusal = m.message; },
  };

  function leaveStage() {
    stopViewing();
    if (janus) janus.destroy();
    if (guest) guest.destroy();
    [camera, screen].forEach((stream) => stream && stream.getTracks().forEach((t) => t.stop()));
    viewers.forEach((pc) => pc.close());
    video.srcObject = null;
  }

  let focused = document.hasFocus();

  function presence() {
    send({ type: "presence", state: document.visibilityState === "visible" && focused ? "present" : "away" });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/classroom/" + room.dataset.session + "/");
    socket.addEventListener("open", () => { if (document.visibilityState !== "visible" || !focused) presence(); });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      (handlers[message.type] || (() => {}))(message);
    });
    socket.addEventListener("close", (event) => {
      if (ended) return;
      // The server says why it closed (a `refused` message first, the close reason too): not
      // logged in, not allowed, no such room are final; anything else is retried.
      const reason = refusal || event.reason;
      refusal = "";
      if (FINAL_CODES.includes(event.code)) {
        ended = true;
        status(reason || room.dataset.labelDisconnected, "disconnected");  // at the top, in words
        $("room-error").textContent = reason;
        leaveStage();
        return;
      }
      if (navigator.onLine === false) status(room.dataset.labelDisconnected, "disconnected");
      else status(reason || room.dataset.labelReconnecting, "reconnecting");
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);  // back off: 1 s, 2 s … up to 32 s
    });
  }

  document.addEventListener("visibilitychange", presence);
  window.addEventListener("blur", () => { focused = false; presence(); });
  window.addEventListener("focus", () => { focused = true; presence(); });

  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("chat-text");
    if (input.value.trim()) send({ type: "chat.send", text: input.value });
    input.value = "";
    $("room-error").textContent = "";
  });
  const hand = $("hand-button");
  if (hand) hand.addEventListener("click", () => send({ type: hand.dataset.raised ? "hand.lower" : "hand.raise" }));
  const pollForm = $("poll-form");
  if (pollForm) {
    pollForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const options = pollForm.options.value.split("\n").map((line) => line.trim()).filter(Boolean);
      send({ type: "poll.open", question: pollForm.question.value, options });
    });
    $("poll-close").addEventListener("click", () => send({ type: "poll.close" }));
  }
  const mute = $("mute-toggle");
  if (mute) mute.addEventListener("change", () => send({ type: "chat.mute", muted: mute.checked }));
  const publishCamera = $("publish-camera");
  if (publishCamera) {
    publishCamera.addEventListener("click", () => publish("camera"));
    $("publish-screen").addEventListener("click", () => publish("screen"));
    $("publish-stop").addEventListener("click", unpublish);
  }
  $("sound-on").addEventListener("click", () => { video.muted = false; video.play(); $("sound-on").hidden = true; });
  const end = $("end-class");
  if (end) end.addEventListener("click", () => { if (confirm(end.dataset.confirm)) send({ type: "class.end" }); });

  connect();
})();
