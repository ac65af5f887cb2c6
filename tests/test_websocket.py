"""The websocket stack end to end on the real ASGI app (origin check, session auth, channel layer)."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from lms.asgi import application
from tests.factories import UserFactory
from tests.services import need_redis


@sync_to_async
def session_cookie(username):
    client = Client()
    client.force_login(UserFactory(username=username))
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture(autouse=True)
async def close_worker_thread_connections():
    """sync_to_async runs ORM calls in a worker thread whose connection would outlive the test and
    keep PostgreSQL from dropping the test database."""
    yield
    await sync_to_async(connections.close_all)()


def communicator(origin="http://127.0.0.1:8000", cookie=None):
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", origin.encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/ping/", headers=headers)


@pytest.mark.django_db(transaction=True)
async def test_logged_in_user_gets_answers_and_errors_for_bad_messages():
    ws = communicator(cookie=await session_cookie("wsuser"))
    connected, _ = await ws.connect()
    assert connected
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong", "user": "wsuser"}
    await ws.send_to(text_data="{not json")
    assert (await ws.receive_json_from())["type"] == "error"
    await ws.send_json_to({"type": "launch"})
    assert (await ws.receive_json_from())["type"] == "error"
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_anonymous_and_foreign_origin_are_refused():
    anonymous = communicator()
    connected, code = await anonymous.connect()
    assert not connected
    assert code == 4401
    foreign = communicator(origin="https://evil.example", cookie=await session_cookie("wsuser2"))
    connected, _ = await foreign.connect()
    assert not connected


async def test_channel_layer_round_trip():
    if settings.REDIS_URL:
        need_redis()
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "test.message", "text": "你好"})
    assert (await layer.receive(channel))["text"] == "你好"


@pytest.mark.redis
async def test_redis_channel_layer_is_used_when_configured():
    need_redis()
    from channels_redis.core import RedisChannelLayer

    assert isinstance(get_channel_layer(), RedisChannelLayer)
