"""Benchmark the big classroom's video through Janus: one fake-camera publisher (headless Chromium),
N = 1, 10, 20, 40 subscribers (pages of another headless Chromium, each its own PeerConnection to
Janus, through lms/classroom/static/classroom/janus_media.js as the live room uses it), and in the
same run the browser-to-browser mesh at its limit (CLASSROOM_MESH_VIEWERS = 8 viewers, the
publisher's page uploading one stream per viewer).

    .venv/bin/python bench/janus_fanout.py [--sizes 1,10,20,40]

Janus (Debian's `janus`) runs on free ports with a generated configuration (tests/classroom/
janus_server.py), at the real time. For each N, once every subscriber was given up to
RECEIVE_SECONDS to show frames (video width > 0 and currentTime advancing): the share receiving,
Janus's CPU (utime + stime from /proc/<pid>/stat over SAMPLE_SECONDS, as a share of one core) and
its resident memory (VmRSS), each also per subscriber (memory: above Janus's idle size), and what
the publisher's page uploads (kbit/s, from its RTCPeerConnection statistics). For the mesh: the
share of its 8 viewers receiving and the publisher's upload. Checks: share receiving ≥ SHARE_GOAL
(0.9) at every N and in the mesh; the publisher uploads through Janus at most 1/UPLOAD_RATIO_GOAL (4)
of what it uploads to the mesh's 8 viewers (one stream instead of eight). The machine's load makes
the figures indicative only (the pages decode video on the same cores as Janus).

BENCH_BREAK=deaf makes one subscriber at each size ask for a feed nobody sends: the share check
must then fail (at N = 1 the share is 0).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

SIZES = (1, 10, 20, 40)
MESH_VIEWERS = 8
SHARE_GOAL = 0.9
UPLOAD_RATIO_GOAL = 4
RECEIVE_SECONDS = float(os.environ.get("BENCH_RECEIVE_SECONDS", "90"))
SAMPLE_SECONDS = 5
BREAK = os.environ.get("BENCH_BREAK", "")
ROOM = 4242
FEED = 777
PAGE = "http://127.0.0.1:9/"  # served by Playwright; nothing listens there
SCRIPTS = [
    ROOT / "lms/static/vendor/adapter.js",
    ROOT / "lms/static/vendor/janus.js",
    ROOT / "lms/classroom/static/classroom/janus_media.js",
]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]

PUBLISH = """async ({ server, token, room, roomToken, feed }) => {
  const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  window.camera = camera;
  const video = document.createElement("video"); video.muted = true; document.body.appendChild(video);
  window.stage = new JanusStage({ server, token, room, roomToken, iceServers: [], video });
  window.stage.publish(feed, camera.getVideoTracks()[0], null);
}"""
SUBSCRIBE = """({ server, token, room, roomToken, feed }) => {
  const video = document.createElement("video");
  video.id = "v"; video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  window.stage = new JanusStage({ server, token, room, roomToken, iceServers: [], video });
  window.stage.subscribe(feed);
}"""
UPLOADED = """async () => {
  const pcs = window.pcs || [window.stage.handle.webrtcStuff.pc];
  let bytes = 0;
  for (const pc of pcs) {
    (await pc.getStats()).forEach((s) => { if (s.type === "outbound-rtp") bytes += s.bytesSent; });
  }
  return bytes;
}"""
# The mesh: the publisher's page makes one PeerConnection per viewer (complete SDP, no trickle).
MESH_PUBLISHER = """async () => {
  window.camera = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  window.pcs = [];
  window.gathered = (pc) => new Promise((ok) => {
    if (pc.iceGatheringState === "complete") return ok();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && ok());
  });
  window.offer = async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    window.pcs.push(pc);
    window.camera.getTracks().forEach((t) => pc.addTrack(t, window.camera));
    await pc.setLocalDescription(await pc.createOffer());
    await window.gathered(pc);
    return { index: window.pcs.length - 1, sdp: pc.localDescription.sdp };
  };
  window.accept = (index, sdp) => window.pcs[index].setRemoteDescription({ type: "answer", sdp });
}"""
MESH_VIEWER = """async (sdp) => {
  const video = document.createElement("video");
  video.id = "v"; video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.ontrack = (event) => { video.srcObject = event.streams[0]; };
  await pc.setRemoteDescription({ type: "offer", sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise((ok) => {
    if (pc.iceGatheringState === "complete") return ok();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && ok());
  });
  window.pc = pc;
  return pc.localDescription.sdp;
}"""
RECEIVING = """async () => {
  const v = document.getElementById("v");
  if (!v || !v.videoWidth) return false;
  const before = v.currentTime;
  await new Promise((ok) => setTimeout(ok, 1000));
  return v.currentTime > before;
}"""


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def cpu_share(pid: int, seconds: float) -> float:
    before, started = cpu_ticks(pid), time.perf_counter()
    time.sleep(seconds)
    return (cpu_ticks(pid) - before) / os.sysconf("SC_CLK_TCK") / (time.perf_counter() - started)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def upload_kbits(page, seconds: float) -> float:
    before = page.evaluate(UPLOADED)
    time.sleep(seconds)
    return (page.evaluate(UPLOADED) - before) * 8 / 1000 / seconds


def blank_page(context):
    page = context.new_page()
    page.goto(PAGE)
    for script in SCRIPTS:
        page.add_script_tag(path=str(script))
    return page


def receiving_share(pages, seconds: float) -> float:
    deadline = time.monotonic() + seconds
    waiting = list(pages)
    while waiting and time.monotonic() < deadline:
        waiting = [page for page in waiting if not page.evaluate(RECEIVING)]
    return (len(pages) - len(waiting)) / len(pages) if pages else 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    sizes = [int(each) for each in parser.parse_args().sizes.split(",")]

    import django

    django.setup()
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    from lms.classroom import janus
    from tests.classroom.janus_server import start_janus

    server = start_janus(follow_test_clock=False)
    figures, failures, rows = [], [], []
    started = time.perf_counter()
    try:
        for name, value in server.settings().items():
            setattr(settings, name, value)
        janus.room_ensure(ROOM, description="bench")
        idle_rss = rss_mb(server.process.pid)
        expires = int(time.time()) + 3600

        def tokens(feed: int) -> dict:
            return {
                "server": server.public_url,
                "token": janus.signed_token(expires, user_id=1),
                "room": ROOM,
                "roomToken": janus.room_token(ROOM),
                "feed": feed,
            }

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_FLAGS
            )
            context = chromium.new_context()
            context.route(
                PAGE,
                lambda route: route.fulfill(body="<!doctype html><body></body>", content_type="text/html"),
            )

            # --- Janus: one publisher, N subscribers ---------------------------------------------
            publisher = blank_page(context)
            publisher.evaluate(PUBLISH, tokens(FEED))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                each.get("publisher") for each in janus.Client(janus.instance_for(ROOM)).participants(ROOM)
            ):
                time.sleep(0.5)
            subscribers = []
            for size in sizes:
                while len(subscribers) < size:
                    page = blank_page(context)
                    deaf = BREAK == "deaf" and len(subscribers) == 0
                    page.evaluate(SUBSCRIBE, tokens(FEED + 1 if deaf else FEED))
                    subscribers.append(page)
                share = receiving_share(subscribers, RECEIVE_SECONDS)
                cpu = cpu_share(server.process.pid, SAMPLE_SECONDS)
                rss = rss_mb(server.process.pid)
                upload = upload_kbits(publisher, SAMPLE_SECONDS)
                row = {
                    "n": size,
                    "share": share,
                    "cpu": cpu,
                    "cpu_per": cpu / size,
                    "rss": rss,
                    "rss_per": max(rss - idle_rss, 0) / size,
                    "upload": upload,
                }
                rows.append(row)
                print(
                    f"janus N={size:>3}: receiving {share:.0%}, Janus CPU {cpu:.1%} of a core "
                    f"({cpu / size:.2%} per subscriber), RSS {rss:.0f} MB "
                    f"({row['rss_per']:.2f} MB per subscriber), publisher uploads {upload:.0f} kbit/s",
                    flush=True,
                )
                figures += [
                    {
                        "name": f"janus N={size} share receiving",
                        "value": round(share, 3),
                        "goal": f">= {SHARE_GOAL}",
                        "ok": share >= SHARE_GOAL,
                    },
                    {
                        "name": f"janus N={size} CPU per subscriber",
                        "value": round(cpu / size * 100, 2),
                        "unit": "% core",
                    },
                    {
                        "name": f"janus N={size} memory per subscriber",
                        "value": round(row["rss_per"], 2),
                        "unit": "MB",
                    },
                ]
                if share < SHARE_GOAL:
                    failures.append(
                        f"N={size}: only {share:.0%} of subscribers receive (goal ≥ {SHARE_GOAL:.0%})"
                    )
            janus_upload = rows[-1]["upload"] if rows else 0.0
            for page in [publisher, *subscribers]:
                page.evaluate("window.stage && window.stage.destroy()")
                page.close()

            # --- The mesh at its limit: the publisher's page uploads to each viewer ---------------
            mesh_publisher = blank_page(context)
            mesh_publisher.evaluate(MESH_PUBLISHER)
            viewers = []
            for _ in range(MESH_VIEWERS):
                offer = mesh_publisher.evaluate("window.offer()")
                viewer = blank_page(context)
                answer = viewer.evaluate(MESH_VIEWER, offer["sdp"])
                mesh_publisher.evaluate("([i, sdp]) => window.accept(i, sdp)", [offer["index"], answer])
                viewers.append(viewer)
            mesh_share = receiving_share(viewers, RECEIVE_SECONDS)
            mesh_upload = upload_kbits(mesh_publisher, SAMPLE_SECONDS)
            print(
                f"mesh {MESH_VIEWERS} viewers: receiving {mesh_share:.0%}, "
                f"publisher uploads {mesh_upload:.0f} kbit/s",
                flush=True,
            )
            ratio = mesh_upload / janus_upload if janus_upload else 0.0
            print(
                f"publisher upload, mesh ({MESH_VIEWERS}) / Janus "
                f"({rows[-1]['n'] if rows else 0} subscribers): {ratio:.1f}×"
            )
            figures += [
                {
                    "name": f"mesh {MESH_VIEWERS} share receiving",
                    "value": round(mesh_share, 3),
                    "goal": f">= {SHARE_GOAL}",
                    "ok": mesh_share >= SHARE_GOAL,
                },
                {"name": "publisher upload, Janus", "value": round(janus_upload), "unit": "kbit/s"},
                {
                    "name": f"publisher upload, mesh {MESH_VIEWERS}",
                    "value": round(mesh_upload),
                    "unit": "kbit/s",
                },
                {
                    "name": "publisher upload mesh / Janus",
                    "value": round(ratio, 2),
                    "unit": "×",
                    "goal": f">= {UPLOAD_RATIO_GOAL}",
                    "ok": ratio >= UPLOAD_RATIO_GOAL,
                },
            ]
            if mesh_share < SHARE_GOAL:
                failures.append(f"mesh: only {mesh_share:.0%} of its {MESH_VIEWERS} viewers receive")
            if ratio < UPLOAD_RATIO_GOAL:
                failures.append(
                    f"the publisher uploads {ratio:.1f}× more to the mesh than to Janus "
                    f"(goal ≥ {UPLOAD_RATIO_GOAL}×)"
                )
            chromium.close()
    except Exception as error:  # the BENCH line still says what happened
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        server.stop()
    summary = {
        "bench": "janus_fanout",
        "ok": not failures,
        "seconds": round(time.perf_counter() - started, 1),
        "figures": figures,
        "failures": failures,
    }
    print(f"BENCH {json.dumps(summary, ensure_ascii=False)}", flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
