/* The live room's client: one websocket (see lms/classroom/consumers.py for the message types),
   presence from page visibility and focus, chat, hands, the poll, and reconnection with back-off. */
(function () {
  "use strict";
  const room = document.getElementById("room");
  if (!room) return;
  const role = room.dataset.role;
  const me = Number(room.dataset.user);
  const moderator = role === "teacher" || role === "staff";
  const $ = (id) => document.getElementById(id);
  let socket = null;
  let retry = 0;
  let ended = false;

  function text(tag, content, attrs) {
    const node = document.createElement(tag);
    node.textContent = content;
    Object.entries(attrs || {}).forEach(([key, value]) => node.setAttribute(key, value));
    return node;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function status(message) { $("room-status").textContent = message; }

  function showParticipants(people) {
    const list = $("participants");
    list.replaceChildren(...people.map((p) => {
      const item = text("li", p.name + (p.state === "away" ? " (" + room.dataset.labelAway + ")" : ""),
        { "data-testid": "participant", "data-role": p.role, "data-state": p.state });
      return item;
    }));
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

  const handlers = {
    welcome(m) {
      status("✓");
      showParticipants(m.participants);
      $("chat").replaceChildren(...m.chat.map(chatLine));
      $("muted-badge").hidden = !m.chat_muted;
      showHands(m.hands);
      showPoll(m.poll);
      retry = 0;
    },
    participants: (m) => showParticipants(m.participants),
    "chat.message": (m) => $("chat").append(chatLine(m)),
    "chat.deleted": (m) => {
      const line = $("chat").querySelector('[data-id="' + m.id + '"]');
      if (line) line.replaceWith(chatLine({ ...m, author: line.querySelector("strong").textContent.replace("：", ""), deleted: true }));
    },
    "chat.muted": (m) => { $("muted-badge").hidden = !m.muted; if ($("mute-toggle")) $("mute-toggle").checked = m.muted; },
    hands: (m) => showHands(m.hands),
    poll: (m) => showPoll(m.poll),
    removed() { ended = true; status(room.dataset.labelRemoved); },
    "class.ended"() { ended = true; status(room.dataset.labelEnded); },
    error: (m) => { $("room-error").textContent = m.message; },
  };

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
    socket.addEventListener("close", () => {
      if (ended) return;
      status(room.dataset.labelReconnecting);
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
  const end = $("end-class");
  if (end) end.addEventListener("click", () => { if (confirm(end.dataset.confirm)) send({ type: "class.end" }); });

  connect();
})();
