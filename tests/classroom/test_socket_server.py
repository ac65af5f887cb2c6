"""The live room's websocket on a real server process (uvicorn with deploy's flags): a 1 MB frame is
refused by the server before the application reads it, and while Redis is down new connections are
refused cleanly (4503 with a reason), pages keep answering, and the room works again by itself once
Redis is back. Redis here is a private redis-server the test starts and stops (never the shared one)."""

import asyncio
import json
import shutil
import time
from urllib.request import Request, urlopen

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.classroom.test_consumer import cookie_for, make_room
from tests.servers import free_port, start_redis, start_server
from tests.services import need_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_stack():
    """A private Redis and a uvicorn using it (cache, sessions' cache, channel layer)."""
    need_postgres()  # the server process shares the test database
    shutil.which("redis-server") or pytest.skip("redis-server is not installed")
    redis_port, port = free_port(), free_port()
    stack = {"redis_port": redis_port, "redis": start_redis(redis_port), "base": f"127.0.0.1:{port}"}
    server = start_server(port, redis_url=f"redis://127.0.0.1:{redis_port}/0")
    yield stack
    server.terminate()
    server.wait(timeout=10)
    stack["redis"].terminate()
    stack["redis"].wait(timeout=10)


def room_socket(base: str, session_id: int, cookie: str):
    return websockets.connect(
        f"ws://{base}/ws/classroom/{session_id}/",
        origin=f"http://{base}",
        additional_headers={"Cookie": cookie},
        max_size=None,
    )


async def first_message(base: str, session_id: int, cookie: str) -> tuple[dict, int | None, str]:
    """The first message a connection gets, and its close code and reason if it is then closed."""
    async with room_socket(base, session_id, cookie) as ws:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == "welcome":
            return message, None, ""
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        return message, closed.value.rcvd.code, closed.value.rcvd.reason


def page_status(base: str, path: str, cookie: str) -> int:
    request = Request(f"http://{base}{path}", headers={"Cookie": cookie})
    try:
        with urlopen(request, timeout=15) as answer:
            return answer.status
    except OSError as error:
        return getattr(error, "code", 0)


def test_while_redis_is_down_the_room_refuses_cleanly_pages_work_and_it_recovers(private_stack, county):
    room = make_room.func(county)
    session_id, base = room["session"].pk, private_stack["base"]
    cookie = cookie_for.func(room["member"])
    welcome, _code, _reason = asyncio.run(first_message(base, session_id, cookie))
    assert welcome["type"] == "welcome"

    private_stack["redis"].terminate()
    private_stack["redis"].wait(timeout=10)
    started = time.monotonic()
    refused, code, reason = asyncio.run(first_message(base, session_id, cookie))
    assert time.monotonic() - started < 8  # refused at once, not after a hang
    assert refused == {"type": "refused", "code": 4503, "message": "直播教室暂时不可用，稍后自动重新连接…"}
    assert code == 4503 and reason == refused["message"]
    assert page_status(base, "/me/", cookie) == 200  # the member's pages still answer
    assert page_status(base, f"/classroom/{session_id}/", cookie) == 200

    private_stack["redis"] = start_redis(private_stack["redis_port"])
    for _attempt in range(10):  # the page retries with back-off; the server needs no restart
        message, _code, _reason = asyncio.run(first_message(base, session_id, cookie))
        if message["type"] == "welcome":
            break
        time.sleep(1)
    assert message["type"] == "welcome" and message["role"] == "member"


def test_a_frame_over_the_servers_limit_closes_only_that_connection(private_stack, county):
    room = make_room.func(county)
    session_id, base = room["session"].pk, private_stack["base"]
    cookies = {"teacher": cookie_for.func(room["teacher"]), "member": cookie_for.func(room["member"])}

    async def exchange():
        async with (
            room_socket(base, session_id, cookies["teacher"]) as teacher,
            room_socket(base, session_id, cookies["member"]) as abuser,
        ):
            for ws in (teacher, abuser):
                while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "welcome":
                    pass
            await abuser.send("x" * 1_048_576)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(abuser.recv(), 10)
            await teacher.send(json.dumps({"type": "chat.send", "text": "照常上课"}))
            while True:
                message = json.loads(await asyncio.wait_for(teacher.recv(), 10))
                if message["type"] == "chat.message":
                    return closed.value.rcvd.code, message["text"]

    code, text = asyncio.run(exchange())
    assert code == 1009  # message too big: refused by uvicorn (--ws-max-size)
    assert text == "照常上课"
