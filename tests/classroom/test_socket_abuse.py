"""The live room's websocket against an abusive client, on the real ASGI app: binary frames, frames of
1 MB, floods of small frames, refusals a page can show, and pages of other origins."""

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from lms.asgi import application
from lms.classroom import guard
from lms.origins import origin_allowed
from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, Session
from tests import factories
from tests.classroom.test_consumer import (
    close_worker_thread_connections,  # noqa: F401 (an autouse fixture)
    cookie_for,
    join,
    make_room,
    refusal,
    until,
)

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def second_member(county, session):
    member = factories.MemberFactory(branch=county["branch_a"])
    scheduling.enrolment_add(actor=county["org"], training_class=session.training_class, members=[member])
    return member.user


async def chat_round_trip(ws, text: str) -> float:
    """Seconds from sending a chat line to seeing it come back."""
    started = time.perf_counter()
    await ws.send_json_to({"type": "chat.send", "text": text})
    for _ in range(50):
        message = await ws.receive_json_from(timeout=20)
        if message["type"] == "chat.message" and message["text"] == text:
            return time.perf_counter() - started
    raise AssertionError(f"{text} did not come back")


async def test_a_binary_frame_is_answered_and_the_connection_stays(county):
    room = await make_room(county)
    member, _c, _ = await join(room["session"], room["member"])
    await until(member, "welcome")
    await member.send_to(bytes_data=b"\x00\x01binary")
    assert (await until(member, "error"))["message"] == "消息必须是文本（JSON），不能是二进制数据。"
    await member.send_json_to({"type": "chat.send", "text": "还在"})
    assert (await until(member, "chat.message"))["text"] == "还在"
    await member.disconnect()


async def test_huge_frames_and_a_flood_do_not_slow_anyone_else(county):
    """One member pushes 30 frames of 1 MB (JSON that is slow to parse) and then 1,000 small ones;
    another member's chat stays about as fast as when the room was quiet, and the abuser is told
    and then closed."""
    room = await make_room(county)
    other_user = await second_member(county, room["session"])
    other, _c, _ = await join(room["session"], other_user)
    await until(other, "welcome")
    abuser, _c, _ = await join(room["session"], room["member"])
    await until(abuser, "welcome")
    quiet = [await chat_round_trip(other, f"安静{index}") for index in range(3)]

    huge = "[" + ",".join(['{"a": {"b": [1, 2, {"c": null}]}}'] * 32_000) + "]"  # 1.1 MB, slow to parse
    assert len(huge) > 1_000_000

    async def abuse():
        for _ in range(30):
            await abuser.send_to(text_data=huge)
        for _ in range(1000):
            await abuser.send_to(text_data='{"type": "ping"}')

    pushing = asyncio.create_task(abuse())
    busy = []
    for index in range(6):
        busy.append(await chat_round_trip(other, f"忙时{index}"))
        await asyncio.sleep(0.05)
    await pushing
    # Generous for a busy 2-core machine; parsing the frames took seconds (60 ms became 4.2 s).
    assert max(busy) < max(4 * max(quiet), max(quiet) + 0.5), (quiet, busy)

    told = []
    while True:
        output = await abuser.receive_output(timeout=10)
        if output["type"] == "websocket.close":
            break
        message = json.loads(output["text"])
        if message["type"] == "error":
            told.append(message["message"])
    assert output["code"] == 4429
    assert "这条消息太长。" in told
    assert told[-1] == "被拒绝的消息太多，连接已关闭。"
    assert len(told) <= guard.PATIENCE + 1  # refused frames are not each answered forever
    assert (await chat_round_trip(other, "之后")) < 10  # the room goes on
    await other.disconnect()


def test_small_frames_past_the_budget_are_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(guard, "FRAME_RATE", 0.001)  # no refill during the test
    member_guard = guard.FrameGuard()
    for _ in range(guard.FRAME_BURST):
        assert member_guard.check('{"type": "ping"}', None) is None
    assert member_guard.check('{"type": "ping"}', None) == guard.TOO_FAST
    assert member_guard.check("x" * (guard.MAX_FRAME_CHARS + 1), None) == guard.TOO_LONG
    assert member_guard.check(None, b"x") == guard.BINARY
    assert not member_guard.exhausted
    # Large frames spend the budget faster: one token plus one per 8 KiB.
    fresh = guard.FrameGuard()
    assert fresh.check("x" * (guard.FRAME_COST_CHARS * 9), None) is None
    assert fresh.budget.tokens == pytest.approx(guard.FRAME_BURST - 10, abs=0.1)
    # Refused frames in a row use up the connection's patience.
    for _ in range(guard.PATIENCE):
        fresh.check(None, b"x")
    assert not fresh.exhausted
    fresh.check(None, b"x")
    assert fresh.exhausted


async def test_refusals_are_accepted_and_closed_with_a_code_and_a_reason(county):
    room = await make_room(county)
    ws, connected, _ = await join(room["session"], None)
    assert connected
    assert await refusal(ws) == (
        4401,
        "登录已失效，请重新登录后进入课堂。",
        "登录已失效，请重新登录后进入课堂。",
    )
    ws, _c, _ = await join(Session(pk=room["session"].pk + 10_000), room["member"])
    assert (await refusal(ws))[:2] == (4404, "没有这节课程。")
    await sync_to_async(Session.objects.filter(pk=room["session"].pk).update)(delivery=Delivery.IN_PERSON)
    from lms.classroom import services

    services.room_facts_forget()
    ws, _c, _ = await join(room["session"], room["member"])
    code, message, reason = await refusal(ws)
    assert code == 4404 and message == reason and message


def scope(origin: str | None, host: str = "127.0.0.1:8000", scheme: str = "ws") -> dict:
    headers = [(b"host", host.encode())] if host else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers}


@override_settings(
    ALLOWED_HOSTS=["127.0.0.1", "dangxiao.example.gov.cn"],
    CSRF_TRUSTED_ORIGINS=["https://dangxiao.example.gov.cn", "https://*.intranet.example"],
)
def test_origins_must_match_scheme_host_and_port():
    assert origin_allowed(scope("http://127.0.0.1:8000"))
    assert origin_allowed(scope("http://127.0.0.1", host="127.0.0.1"))
    assert origin_allowed(
        scope("https://dangxiao.example.gov.cn", host="dangxiao.example.gov.cn", scheme="wss")
    )
    # Behind a proxy that does not say the scheme: the trusted origins of the site still count.
    assert origin_allowed(scope("https://dangxiao.example.gov.cn", host="dangxiao.example.gov.cn"))
    assert origin_allowed(scope("https://jia.intranet.example", host="127.0.0.1:8000"))
    for refused in (
        scope("http://127.0.0.1:9999"),  # another port of the same host (the audit's)
        scope("https://127.0.0.1:8000"),  # another scheme
        scope("http://localhost:8000"),  # another host name
        scope("https://evil.example"),
        scope("null"),
        scope(""),
        scope(None),
        scope("http://evil.example:8000", host="evil.example:8000"),  # a host not ours (rebinding)
        scope("http://127.0.0.1:8000", host=""),
        scope("https://dangxiao.example.gov.cn:8443", host="dangxiao.example.gov.cn", scheme="wss"),
        scope("https://intranet.example", host="127.0.0.1:8000"),  # the wildcard is for subdomains
    ):
        assert not origin_allowed(refused), refused


async def test_another_port_of_the_same_host_cannot_open_the_room(county):
    room = await make_room(county)
    cookie = await cookie_for(room["member"])
    for origin, allowed in (("http://127.0.0.1:8000", True), ("http://127.0.0.1:9999", False)):
        headers = [(b"host", b"127.0.0.1:8000"), (b"origin", origin.encode()), (b"cookie", cookie.encode())]
        ws = WebsocketCommunicator(application, f"/ws/classroom/{room['session'].pk}/", headers=headers)
        connected, _ = await ws.connect()
        assert connected is allowed, origin
        if connected:
            assert (await until(ws, "welcome"))["role"] == "member"
            await ws.disconnect()
