"""Redis killed during a live class (issue 14 §7): pages keep working, rooms recover, and no
presence is counted twice.

A class under way is taught live; its teacher and LIVE_MEMBERS members sit in the room on real
websockets to uvicorn (2 workers, production settings, Redis as channel layer, cache and session
cache). Each member's phone reconnects one second after its connection closes, as the page does,
and keeps the times it was connected. Redis is killed (`kill -9`) mid-class and started again a few
seconds later on the same port. The server is never restarted.

What must hold:
- while Redis is down, pages answer (the member's home, the room's page, the login page) and the
  rooms refuse or close connections without hanging;
- once Redis is back, every member is in the room again and a chat line reaches all of them;
- when the teacher ends the class, each member's presence counts no more than the time their
  phone was connected (overlapping or dead connections are not added up, none keeps counting
  after it closed) and not much less, and the minutes credited are the minutes of that presence.
"""

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from urllib.request import Request, urlopen

import pytest
import websockets

from tests.faults import services
from tests.faults.conftest import start_stack

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

LIVE_MEMBERS = 40
# Seconds in the room before the outage, of the outage, and after everyone is back. The class is
# shorter than a minute by default (the suite's time), so presence is compared in seconds and the
# minutes credited are those seconds' whole minutes; FAULTS_LIVE_SECONDS=90 holds the room longer
# to see whole minutes credited.
BEFORE, OUTAGE = 6.0, 4.0
AFTER = float(os.environ.get("FAULTS_LIVE_SECONDS", "6"))
RECONNECT_PAUSE = 1.0
BACK_WITHIN = 30.0  # seconds after Redis is back by which every member is in the room again
SLACK = 2.0  # seconds per connection the server's reckoning may differ from the phone's


def real_time() -> float:
    """The real clock (the servers run on it; this process's is frozen by the test fixture)."""
    import time_machine

    return time_machine.escape_hatch.time.time() if time_machine.escape_hatch.is_travelling() else time.time()


@pytest.fixture(scope="module")
def stack(migrated):
    yield from start_stack(migrated, LIVE_MEMBERS)


def get(stack, path: str, cookie: str = "") -> int:
    request = Request(f"{stack.server.base}{path}", headers={"Cookie": cookie} if cookie else {})
    try:
        with urlopen(request, timeout=15) as answer:
            return answer.status
    except OSError as error:
        return getattr(error, "code", 0)  # an HTTPError's status, 0 for no answer


def test_pages_answer_while_redis_is_down(stack):
    member = stack.people[0]
    pages = {
        "home": ("/me/", member["cookie"]),
        "room": (f"/classroom/{stack.session}/", member["cookie"]),
        "login": ("/login/", ""),
    }
    before = {name: get(stack, path, cookie) for name, (path, cookie) in pages.items()}
    assert before == {"home": 200, "room": 200, "login": 200}
    stack.redis.kill()
    try:
        started = time.monotonic()
        during = {name: get(stack, path, cookie) for name, (path, cookie) in pages.items()}
        seconds = time.monotonic() - started
    finally:
        stack.redis.start()
    after = {name: get(stack, path, cookie) for name, (path, cookie) in pages.items()}
    print(f"FAULTS redis pages: during the outage {during} in {seconds:.1f} s, after {after}")
    assert after == before
    if during != before:
        pytest.xfail(
            f"pages while Redis is down answered {during}: the cache and session must tolerate "
            "Redis errors (the 'socket' helper's part of issue 14 §6)"
        )
    assert seconds < 10


@dataclass
class Phone:
    """One member's phone in the room: reconnects after each close until the class ends."""

    person: dict
    spans: list[tuple[float, float, float]] = field(default_factory=list)  # (dialled, welcomed, closed)
    refusals: list[str] = field(default_factory=list)  # how connections during the outage ended
    chat: list[str] = field(default_factory=list)
    in_room: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False


async def hold_room(stack, phone: Phone, cookie: str) -> None:
    url = f"ws://{services.HOST}:{stack.server.port}/ws/classroom/{stack.session}/"
    origin = f"http://{services.HOST}:{stack.server.port}"
    while not phone.ended:
        dialled = real_time()
        welcomed = 0.0
        try:
            async with websockets.connect(
                url, origin=origin, additional_headers={"Cookie": cookie}, open_timeout=15
            ) as ws:
                async for text in ws:
                    message = json.loads(text)
                    if message["type"] == "welcome":
                        welcomed = real_time()
                        phone.in_room.set()
                    elif message["type"] == "chat.message":
                        phone.chat.append(message["text"])
                    elif message["type"] == "class.ended":
                        phone.ended = True
            reason = f"closed {ws.close_code}"
            phone.ended = phone.ended or ws.close_code == 4000
        except (OSError, TimeoutError, websockets.WebSocketException) as error:
            if isinstance(error, websockets.ConnectionClosed):  # closed by the server, or dropped
                reason = f"closed {error.rcvd.code}" if error.rcvd else "dropped"
            else:  # refused before the handshake (HTTP status), or no answer
                status = getattr(getattr(error, "response", None), "status_code", "")
                reason = f"{type(error).__name__} {status}".strip()
        closed = real_time()
        phone.in_room.clear()
        if welcomed:
            phone.spans.append((dialled, welcomed, closed))
        else:
            phone.refusals.append(reason)
        if not phone.ended:
            await asyncio.sleep(RECONNECT_PAUSE)


async def live_class(stack) -> dict:
    phones = [Phone(person) for person in stack.people[:LIVE_MEMBERS]]
    teacher = Phone({"member": 0})
    tasks = [asyncio.create_task(hold_room(stack, p, p.person["cookie"])) for p in phones]
    tasks.append(asyncio.create_task(hold_room(stack, teacher, stack.teacher)))
    figures: dict = {}

    async def all_in(timeout: float) -> float:
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*(p.in_room.wait() for p in [teacher, *phones])), timeout)
        return time.monotonic() - started

    try:
        figures["enter_s"] = round(await all_in(60), 2)
        await asyncio.sleep(BEFORE)
        stack.redis.kill()
        killed = time.monotonic()
        await asyncio.sleep(OUTAGE)
        figures["pages_during_outage"] = await asyncio.to_thread(
            lambda: {
                "home": get(stack, "/me/", phones[0].person["cookie"]),
                "healthz": get(stack, "/healthz/"),
            }
        )
        await asyncio.to_thread(stack.redis.start)
        back = time.monotonic()
        figures["outage_s"] = round(back - killed, 2)
        figures["back_in_room_s"] = round(await all_in(BACK_WITHIN), 2)
        await asyncio.sleep(1.0)  # every worker's inbox has joined the room's group again
        await send_as_teacher(stack, {"type": "chat.send", "text": "恢复之后"})
        await asyncio.sleep(AFTER)
        figures["chat_received"] = sum("恢复之后" in p.chat for p in phones)
        await send_as_teacher(stack, {"type": "class.end"})
        await asyncio.wait_for(asyncio.gather(*tasks[:-1]), 30)
    finally:
        for phone in [*phones, teacher]:
            phone.ended = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    figures["refusals"] = sorted({r for p in phones for r in p.refusals})
    figures["connections"] = sum(len(p.spans) for p in phones)
    return {"figures": figures, "phones": phones}


async def send_as_teacher(stack, message: dict) -> None:
    """On a connection of its own (the teacher's phone keeps its own), after the welcome."""
    url = f"ws://{services.HOST}:{stack.server.port}/ws/classroom/{stack.session}/"
    async with websockets.connect(
        url,
        origin=f"http://{services.HOST}:{stack.server.port}",
        additional_headers={"Cookie": stack.teacher},
        open_timeout=15,
    ) as ws:
        while json.loads(await asyncio.wait_for(ws.recv(), 15))["type"] != "welcome":
            pass
        await ws.send(json.dumps(message))
        if message["type"] == "class.end":
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 15)
        else:
            await asyncio.sleep(0.5)


def union_seconds(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def test_a_live_class_survives_a_redis_restart_without_counting_twice(stack):
    result = asyncio.run(live_class(stack))
    figures, phones = result["figures"], result["phones"]
    live = stack.build("live", str(stack.session))
    users = {int(k): v for k, v in live["users"].items()}
    credited = {int(k): v for k, v in live["credited"].items()}
    too_much, too_little, wrong_minutes, rows = [], [], [], []
    for phone in phones:
        user = phone.person["user"]
        server = users.get(user, {"seconds": 0, "intervals": 0})
        outer = union_seconds([(dialled, closed) for dialled, _welcomed, closed in phone.spans])
        inner = union_seconds([(welcomed, closed) for _dialled, welcomed, closed in phone.spans])
        slack = SLACK * len(phone.spans)
        rows.append((server["seconds"], inner, outer))
        if server["seconds"] > outer + slack:
            too_much.append((user, server["seconds"], round(outer, 1), len(phone.spans), server["intervals"]))
        if server["seconds"] < inner - slack:
            too_little.append((user, server["seconds"], round(inner, 1)))
        minutes = credited.get(user, {"minutes": 0, "count": 0})
        if minutes["minutes"] != server["seconds"] // 60 or minutes["count"] > 1:
            wrong_minutes.append((user, minutes, server["seconds"]))
    figures |= {
        "presence_s_mean": round(sum(r[0] for r in rows) / len(rows), 1),
        "connected_s_mean": round(sum(r[2] for r in rows) / len(rows), 1),
        "minutes_credited": sum(c["minutes"] for c in credited.values()),
        "minutes_expected": sum(int(r[0]) // 60 for r in rows),
    }
    print("FAULTS redis live class " + json.dumps(figures, ensure_ascii=False))

    assert live["ended"]
    assert figures["chat_received"] == LIVE_MEMBERS, "a room did not recover: chat did not reach everyone"
    assert all(len(p.spans) >= 2 for p in phones), "some phones were never disconnected by the outage"
    assert not too_much, (
        f"presence counted beyond the connected time (user, s, connected, conns, rows): {too_much}"
    )
    assert not too_little, f"presence lost: {too_little}"
    assert not wrong_minutes, f"minutes credited are not the presence's: {wrong_minutes}"
    assert stack.server.process.poll() is None
    assert stack.server.wait_workers() == stack.workers, "a worker process was replaced"
