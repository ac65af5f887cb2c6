"""Two real server processes (uvicorn) sharing Redis serve one room: a chat message sent by the
teacher on one process reaches a member connected to the other."""

import asyncio
import json
from datetime import timedelta

import pytest
import websockets
from django.test import Client
from django.utils import timezone

from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from tests import factories
from tests.servers import free_port, start_server
from tests.services import need_postgres, need_redis

pytestmark = pytest.mark.django_db(transaction=True)


def cookie_for(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def real_services():
    need_postgres()
    need_redis()


def test_a_message_crosses_between_two_server_processes(real_services, county):
    teacher_user = factories.UserFactory(first_name="张老师")
    training_class = factories.training_class(
        county["town_a"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(user=teacher_user),
        point=county["point_a"],
        publish=True,
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[county["member_a"]])
    lecture = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    now = timezone.now()
    type(lecture).objects.filter(pk=lecture.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    cookies = {"teacher": cookie_for(teacher_user), "member": cookie_for(county["member_a"].user)}
    ports = [free_port(), free_port()]
    servers = [start_server(port) for port in ports]
    try:
        received = asyncio.run(exchange(lecture.pk, ports, cookies))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    assert received["type"] == "chat.message" and received["text"] == "跨进程的问候"


async def exchange(session_id: int, ports: list[int], cookies: dict) -> dict:
    def connect(port, who):
        return websockets.connect(
            f"ws://127.0.0.1:{port}/ws/classroom/{session_id}/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": cookies[who]},
        )

    async with connect(ports[0], "member") as member, connect(ports[1], "teacher") as teacher:
        for ws in (member, teacher):
            while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "welcome":
                pass
        await teacher.send(json.dumps({"type": "chat.send", "text": "跨进程的问候"}))
        while True:
            message = json.loads(await asyncio.wait_for(member.recv(), 10))
            if message["type"] == "chat.message":
                return message
