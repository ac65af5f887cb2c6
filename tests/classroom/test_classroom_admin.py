"""The 直播课堂 admin menu: terminals scoped to the staff's townships, with clear refusals; the big
classroom page where township staff make their live session a sub-classroom."""

import pytest
from django.http import HttpRequest

from lms.classroom import services
from lms.classroom.models import LiveRoom, Terminal

pytestmark = pytest.mark.django_db

TERMINALS = "/admin/classroom/terminals/"
BIG = "/admin/classroom/big-classroom/"


def new_terminal(client, town, **fields):
    data = {
        "name": "甲村大屏",
        "township": town.pk,
        "point": "",
        "username": "jia-screen",
        "password": "screen-pass-2026",
        "password_again": "screen-pass-2026",
        **fields,
    }
    return client.post(f"{TERMINALS}add/", data)


def test_staff_create_a_terminal_that_can_log_in(client, big):
    client.force_login(big["staff_a"])
    response = new_terminal(client, big["town_a"], point=big["point_a"].pk)
    assert response.status_code == 302
    terminal = Terminal.objects.get()
    assert (terminal.name, terminal.township_id, terminal.point_id) == (
        "甲村大屏",
        big["town_a"].pk,
        big["point_a"].pk,
    )
    listing = client.get(TERMINALS).content.decode()
    assert "甲村大屏" in listing and "jia-screen" in listing and "终端" in listing
    client.logout()
    assert client.login(request=HttpRequest(), username="jia-screen", password="screen-pass-2026")  # axes


def test_bad_input_is_explained_and_creates_nothing(client, big):
    client.force_login(big["staff_a"])
    services.terminal_create(
        actor=big["staff_a"],
        name="已有",
        township=big["town_a"],
        username="taken",
        password="screen-pass-2026",
    )
    cases = [
        ({"username": "taken"}, "该登录名已被使用"),
        ({"password": "123", "password_again": "123"}, "密码"),
        ({"password_again": "other-pass-2026"}, "两次输入的密码不一致"),
        ({"point": "__B__"}, "选择"),  # township B's teaching point is not offered
        ({"township": "__TB__"}, "选择"),  # nor township B
    ]
    for fields, message in cases:
        fields = {
            key: (big["point_b"].pk if value == "__B__" else big["town_b"].pk if value == "__TB__" else value)
            for key, value in fields.items()
        }
        response = new_terminal(client, big["town_a"], **fields)
        assert response.status_code == 200 and message in response.content.decode(), fields
    assert Terminal.objects.count() == 1


def test_another_townships_terminal_is_not_found_and_members_get_nothing(client, big):
    terminal = services.terminal_create(
        actor=big["staff_a"],
        name="甲村大屏",
        township=big["town_a"],
        username="jia",
        password="screen-pass-2026",
    )
    client.force_login(big["staff_b"])
    assert "甲村大屏" not in client.get(TERMINALS).content.decode()
    assert client.get(f"{TERMINALS}{terminal.pk}/").status_code == 404
    assert client.post(f"{TERMINALS}{terminal.pk}/delete/").status_code == 404
    client.force_login(big["member_a"].user)
    assert client.get(TERMINALS).status_code in (302, 403)
    assert Terminal.objects.filter(pk=terminal.pk).exists()

    client.force_login(big["staff_a"])
    edited = client.post(
        f"{TERMINALS}{terminal.pk}/",
        {"name": "甲村新屏", "point": "", "password": "", "password_again": "", "active": ""},
    )
    assert edited.status_code == 302
    terminal.refresh_from_db()
    assert terminal.name == "甲村新屏" and not terminal.user.is_active  # may no longer log in
    client.post(f"{TERMINALS}{terminal.pk}/delete/")
    assert not Terminal.objects.exists()


def test_township_staff_follow_the_big_classroom_from_the_admin(client, big, frozen_clock):
    frozen_clock.move_to(big["at"](-180))  # the morning of the lectures: the page lists what is to come
    client.force_login(big["staff_b"])  # township B's staff cannot link township A's session
    client.post(BIG, {"big": big["big"].pk, "session": big["sub"].pk})
    assert not LiveRoom.objects.filter(parent__isnull=False).exists()

    client.force_login(big["staff_a"])
    page = client.get(BIG).content.decode()
    assert "大课堂" in page and f'data-session="{big["big"].pk}"' in page
    client.post(BIG, {"big": big["big"].pk, "session": big["sub"].pk})
    assert LiveRoom.objects.get(session=big["sub"]).parent.session == big["big"]
    page = client.get(BIG).content.decode()
    assert f'data-testid="sub-classroom" data-session="{big["sub"].pk}"' in page

    client.post(BIG, {"action": "unlink", "session": big["sub"].pk})
    assert LiveRoom.objects.get(session=big["sub"]).parent is None
