// Taking an attempt: every change is saved at once (PUT to the API); what cannot be sent yet waits in
// localStorage and is sent again when the network is back, so a dropped network loses nothing. The
// server's clock is the only clock: the time left comes from the server, and its answer decides.
(function () {
  "use strict";
  const root = document.getElementById("quiz");
  if (!root) return;
  const attemptId = root.dataset.attempt;
  const storeKey = "quiz-pending-" + attemptId;
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  const statusEl = root.querySelector("[data-testid=save-status]");
  const msg = (name) => root.querySelector("[data-msg=" + name + "]").textContent;
  const sections = Array.from(root.querySelectorAll(".quiz-q"));
  let pending = {};
  try { pending = JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { pending = {}; }
  let finished = false;
  let sending = false;

  function keep() { localStorage.setItem(storeKey, JSON.stringify(pending)); }
  function setStatus(name) {
    statusEl.textContent = msg(name);
    statusEl.classList.toggle("offline", name === "offline");
    statusEl.dataset.state = name;
  }

  function valueOf(section) {
    const type = section.dataset.type;
    const inputs = Array.from(section.querySelectorAll("input, textarea"));
    if (type === "multiple") return inputs.filter((i) => i.checked).map((i) => Number(i.value));
    if (type === "single" || type === "true_false") {
      const chosen = inputs.find((i) => i.checked);
      return chosen ? Number(chosen.value) : null;
    }
    return inputs[0].value;
  }

  async function flush() {
    if (sending) return Object.keys(pending).length === 0;
    sending = true;
    try {
      for (const position of Object.keys(pending)) {
        const value = pending[position];
        let response;
        try {
          response = await fetch(root.dataset.saveUrl + position, {
            method: "PUT",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
            credentials: "same-origin",
            body: JSON.stringify({ value: value }),
          });
        } catch (e) {
          setStatus("offline");
          return false;
        }
        if (response.ok || response.status === 400 || response.status === 409) {
          // Saved, or refused for good (time up, submitted): either way, nothing more to send.
          if (JSON.stringify(pending[position]) === JSON.stringify(value)) delete pending[position];
          keep();
          if (response.status === 409) { finishAndLeave(); return false; }
        } else {
          setStatus("offline");
          return false;
        }
      }
      setStatus("saved");
      return true;
    } finally {
      sending = false;
    }
  }

  function changed(event) {
    const section = event.target.closest(".quiz-q");
    if (!section || finished) return;
    pending[section.dataset.position] = valueOf(section);
    keep();
    setStatus("saving");
    flush();
  }
  root.addEventListener("change", changed);
  root.addEventListener("input", (event) => { if (event.target.matches("textarea, input[type=text]")) changed(event); });

  async function finishAndLeave() {
    if (finished) return;
    finished = true;
    for (;;) {
      await flush();
      try {
        const response = await fetch(root.dataset.submitUrl, {
          method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
        });
        if (response.ok || response.status === 404) break;
      } catch (e) { setStatus("offline"); }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    localStorage.removeItem(storeKey);
    window.location.assign(root.dataset.resultUrl);
  }

  // One question per screen, or the whole paper.
  let current = 0;
  const one = root.dataset.layout === "one";
  const progress = root.querySelector("[data-testid=progress]");
  function show(index) {
    current = Math.max(0, Math.min(sections.length - 1, index));
    sections.forEach((s, i) => { s.hidden = one && i !== current; });
    progress.textContent = one ? (current + 1) + " / " + sections.length : "";
    root.querySelector("[data-action=prev]").hidden = !one;
    root.querySelector("[data-action=next]").hidden = !one;
  }
  root.querySelector("[data-action=prev]").addEventListener("click", () => show(current - 1));
  root.querySelector("[data-action=next]").addEventListener("click", () => show(current + 1));
  root.querySelector("[data-action=submit]").addEventListener("click", (event) => {
    if (window.confirm(event.target.dataset.confirm)) finishAndLeave();
  });
  show(0);

  // Answers kept from a lost network (this device) are put back on screen and sent.
  for (const [position, value] of Object.entries(pending)) {
    const section = root.querySelector('.quiz-q[data-position="' + position + '"]');
    if (!section) continue;
    section.querySelectorAll("input, textarea").forEach((input) => {
      if (input.type === "radio") input.checked = Number(input.value) === value;
      else if (input.type === "checkbox") input.checked = Array.isArray(value) && value.includes(Number(input.value));
      else input.value = value == null ? "" : value;
    });
  }
  if (Object.keys(pending).length) flush();
  window.addEventListener("online", flush);
  setInterval(() => { if (Object.keys(pending).length && !finished) flush(); }, 3000);

  // Time left: counted from the server's figure with this device's monotonic clock.
  const timer = root.querySelector("[data-testid=timer]");
  if (timer && root.dataset.secondsLeft !== "") {
    const endsAt = performance.now() + Number(root.dataset.secondsLeft) * 1000;
    const tick = () => {
      const left = Math.max(0, Math.round((endsAt - performance.now()) / 1000));
      timer.textContent = String(Math.floor(left / 60)).padStart(2, "0") + ":" + String(left % 60).padStart(2, "0");
      if (left <= 0) { setStatus("time_up"); finishAndLeave(); return; }
      setTimeout(tick, 500);
    };
    tick();
  }
})();
