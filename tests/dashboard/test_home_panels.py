"""The admin home per role (lms/dashboard): township staff see their township's day, city-school
staff every township's, the organization department the county's week, closing evaluations and
flagged teachers; the cost does not grow with what is listed. Also the small things staff stumbled
over: the Pages menu's name, the member list's migrant column and downloads, the favicon, and the
roll call's link to the venue screen."""

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from lms.attendance import services as attendance
from lms.dashboard import selectors
from lms.evaluation.counting import evaluations_count_closed
from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from tests import factories
from tests.attendance.conftest import attend
from tests.evaluation.conftest import make_taught
from tests.evaluation.helpers import answer_all
from tests.exports.helpers import download_export

SHANGHAI = ZoneInfo("Asia/Shanghai")
BEFORE = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # when the data is made: before every class
NOW = datetime(2026, 12, 9, 10, 30, tzinfo=SHANGHAI)  # Wednesday; the week is 7–13 December
TODAY = NOW.date()


def today_class(county, township, point, members: int, live: bool = False):
    """A published class of `township` today (six one-hour sessions from 8:00) with `members` new
    members enrolled; the last session (13:00–14:00, after NOW) is live when `live`."""
    training_class = factories.training_class(
        township, TODAY, teacher=factories.TeacherFactory(), point=point, publish=True
    )
    branch = county["branch_a"] if township == county["town_a"] else county["branch_b"]
    enrolled = [factories.MemberFactory(branch=branch) for _ in range(members)]
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=enrolled)
    sessions = list(training_class.sessions.order_by("starts_at"))
    if live:
        sessions[-1].delivery = Delivery.LIVE
        sessions[-1].save(update_fields=["delivery"])
    return training_class, sessions, enrolled


def build(county, size: int, start: int = 0) -> dict:
    """`size` of everything each panel lists (a second call gives `start` = the first call's size, so
    its lectures fall on other days); made at BEFORE, looked at NOW."""
    with time_machine.travel(BEFORE, tick=False):
        town_a, town_b = county["town_a"], county["town_b"]
        mine = []
        for index in range(size):
            point = factories.teaching_point(town_a)
            training_class, sessions, enrolled = today_class(
                county, town_a, point, 3, live=index + start == 0
            )
            # Two of three signed in at the first session (one late), one absent; the second nobody.
            attend(enrolled[0], sessions[0])
            attend(enrolled[1], sessions[0], "late")
            attend(enrolled[2], sessions[0], "absent")
            mine.append((training_class, sessions))
        other_class, other_sessions, _ = today_class(county, town_b, factories.teaching_point(town_b), 2)

        # A draft of township A next week missing most of 5+1+N, one of township B, and a cancelled one.
        drafts = []
        for _ in range(size):
            drafts.append(
                scheduling.training_class_create(
                    actor=None,
                    school=town_a,
                    title=f"草稿班{len(drafts)}",
                    start_date=TODAY + timedelta(days=5),
                    sessions=factories.class_sessions(
                        TODAY + timedelta(days=5), teacher=None, point=None, kinds=[SessionKind.SIGN_IN]
                    ),
                )
            )
        other_draft = scheduling.training_class_create(
            actor=None,
            school=town_b,
            title="乙镇草稿班",
            start_date=TODAY + timedelta(days=5),
            sessions=factories.class_sessions(
                TODAY + timedelta(days=5), teacher=None, point=None, kinds=[SessionKind.SIGN_IN]
            ),
        )

        # Leave: members of township A ask to miss a session of a class next week.
        coming = factories.training_class(
            town_a,
            TODAY + timedelta(days=6),
            teacher=factories.TeacherFactory(),
            point=factories.teaching_point(town_a),
            publish=True,
        )
        askers = [factories.MemberFactory(branch=county["branch_a"]) for _ in range(size)]
        scheduling.enrolment_add(actor=county["org"], training_class=coming, members=askers)
        lecture = coming.sessions.get(kind=SessionKind.LEADER_LECTURE)
        for member in askers:
            attendance.leave_request_submit(user=member.user, reason="外出务工", session=lecture, now=BEFORE)

        # Evaluations: lectures on 3 December close on 10 December (within 3 days of NOW), three of six
        # members answered; lectures in November closed with 2 of 6 satisfied (rectification).
        closing = []
        for index in range(start, start + size):
            taught = make_taught(county, day=datetime(2026, 12, 3 - index, tzinfo=SHANGHAI).date())
            closing.append(answer_all(taught, [5, 4, 3]))
        flagged = []
        for index in range(start, start + size):
            taught = make_taught(county, day=datetime(2026, 11, 10 + index, tzinfo=SHANGHAI).date())
            answer_all(taught, [5, 5, 2, 2, 1, 1])
            flagged.append(taught["teacher"])
    evaluations_count_closed(now=NOW)  # the sweep has run by NOW: evaluations closed by then are counted
    return {
        "mine": mine,
        "other_class": other_class,
        "other_sessions": other_sessions,
        "drafts": drafts,
        "other_draft": other_draft,
        "closing": closing,
        "flagged": flagged,
        "askers": askers,
    }


def home(client, user):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False), translation.override("zh-hans"):
        response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


ROLE_PANELS = {
    "today-sessions",
    "pending-leave",
    "classes-breaking-rules",
    "classes-this-week",
    "evaluations-closing",
    "flagged-teachers",
}


def panel_ids(soup) -> set[str]:
    """The role panels on the page (Wagtail's {% panel %} ids end in "-section")."""
    ids = {section.get("id", "").removesuffix("-section") for section in soup.select("section[data-panel]")}
    return ids & ROLE_PANELS


@pytest.mark.django_db
def test_township_staff_see_their_township_day(client, county):
    data = build(county, 1)
    soup = home(client, county["staff_a"])
    assert panel_ids(soup) == {"today-sessions", "pending-leave", "classes-breaking-rules"}

    ((_, sessions),) = data["mine"]
    rows = soup.select("[data-testid=today-sessions] tr[data-session]")
    assert [int(row["data-session"]) for row in rows] == [s.pk for s in sessions]  # not township B's
    first = rows[0]
    assert first.select_one("[data-testid=signed-in]").get_text(strip=True) == "2 / 3"  # absent not counted
    assert rows[1].select_one("[data-testid=signed-in]").get_text(strip=True) == "0 / 3"
    assert (
        first.select_one("[data-testid=venue-link]")["href"]
        == f"/attendance/sessions/{sessions[0].pk}/venue/"
    )
    assert "签到大屏" in first.get_text()
    assert first.select_one("[data-testid=room-link]") is None  # in person: no live room
    live = rows[-1].select_one("[data-testid=room-link]")
    assert live["href"] == f"/classroom/{sessions[-1].pk}/" and live.get_text(strip=True) == "直播课堂"

    assert "1 条请假申请" in soup.select_one("[data-testid=pending-leave]").get_text()
    breaking = {
        int(row["data-class"]) for row in soup.select("[data-testid=classes-breaking-rules] tr[data-class]")
    }
    assert breaking == {data["drafts"][0].pk}
    assert soup.select_one(f'a[href="/admin/scheduling/classes/edit/{data["drafts"][0].pk}/"]')
    # Wagtail's site summary (13 Pages, 0 Images…) and its online editor guide are gone.
    assert "editor guide" not in soup.get_text() and not soup.select(".w-summary")


@pytest.mark.django_db
def test_city_staff_see_every_township(client, county):
    data = build(county, 1)
    soup = home(client, county["city_staff"])
    assert panel_ids(soup) == {"today-sessions", "pending-leave", "classes-breaking-rules"}
    listed = {int(row["data-session"]) for row in soup.select("tr[data-session]")}
    ((_, sessions),) = data["mine"]
    assert listed == {s.pk for s in sessions} | {s.pk for s in data["other_sessions"]}
    breaking = {
        int(row["data-class"]) for row in soup.select("[data-testid=classes-breaking-rules] tr[data-class]")
    }
    assert breaking == {data["drafts"][0].pk, data["other_draft"].pk}


@pytest.mark.django_db
def test_organization_department_sees_the_county(client, county):
    data = build(county, 1)
    soup = home(client, county["org"])
    assert panel_ids(soup) == {
        "classes-this-week",
        "evaluations-closing",
        "flagged-teachers",
        "classes-breaking-rules",
    }
    week = {int(row["data-class"]) for row in soup.select("[data-testid=classes-this-week] tr[data-class]")}
    ((training_class, _),) = data["mine"]
    # Today's two classes and the 7 December ones of make_taught? No: those are 3 December and November.
    assert week == {training_class.pk, data["other_class"].pk}
    row = soup.select_one(f'[data-testid=classes-this-week] tr[data-class="{training_class.pk}"]')
    assert row.select_one("[data-testid=enrolled]").get_text(strip=True) == f"3 / {training_class.capacity}"

    closing = soup.select("[data-testid=evaluations-closing] tr[data-evaluation]")
    assert [int(r["data-evaluation"]) for r in closing] == [data["closing"][0].pk]
    assert closing[0].select_one("[data-testid=responses]").get_text(" ", strip=True).startswith("3 / 6")

    flagged = soup.select("[data-testid=flagged-teachers] tr[data-teacher]")
    assert [int(r["data-teacher"]) for r in flagged] == [data["flagged"][0].pk]
    assert "需整改" in flagged[0].get_text()
    assert soup.select_one("[data-testid=not-award-eligible]").get_text(strip=True).startswith("1 名教师")
    assert data["other_draft"].pk in {
        int(r["data-class"]) for r in soup.select("[data-testid=classes-breaking-rules] tr[data-class]")
    }


@pytest.mark.django_db
def test_members_and_teachers_get_no_role_panels(county):
    from lms.dashboard.panels import panels_for

    teacher = factories.TeacherFactory(user=factories.UserFactory())
    assert panels_for(county["member_a"].user) == []
    assert panels_for(teacher.user) == []


@pytest.mark.django_db
def test_today_is_the_county_day_whatever_the_server_clock(county):
    """Just after midnight in Shanghai is still the previous day in UTC: the panel lists the new day."""
    build(county, 1)
    with time_machine.travel(datetime(2026, 12, 9, 0, 30, tzinfo=SHANGHAI), tick=False):
        assert selectors.county_today() == TODAY
        assert len(selectors.sessions_today(county["staff_a"])) == 6
    with time_machine.travel(datetime(2026, 12, 8, 23, 30, tzinfo=SHANGHAI), tick=False):
        assert selectors.sessions_today(county["staff_a"]) == []


def home_queries(client, user) -> int:
    client.force_login(user)
    client.get(reverse("wagtailadmin_home"))  # warm caches (content types, site) outside the count
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("wagtailadmin_home")).status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["staff_a", "city_staff", "org"])
def test_home_costs_the_same_for_one_or_three_of_everything(client, county, who):
    build(county, 1)
    small = home_queries(client, county[who])
    build(county, 2, start=1)  # now three of everything
    assert selectors.classes_breaking_rules(county["org"], NOW).total >= 3
    assert home_queries(client, county[who]) == small


# --- The small things ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_menu_says_pages_in_chinese(client, county):
    """Our pagination label has its own msgid ("Page navigation"), so Wagtail's "Pages" keeps 页面."""
    soup = home(client, county["org"])
    menu = json.dumps(json.loads(soup.select_one("#wagtail-sidebar-props").string), ensure_ascii=False)
    assert '"name": "explorer", "label": "页面"' in menu and "分页" not in menu
    with translation.override("zh-hans"):
        assert translation.gettext("Pages") == "页面"
        assert translation.gettext("Page navigation") == "分页"


@pytest.mark.django_db
def test_member_list_shows_migrants_in_words_and_downloads_yes_no(client, county):
    migrant = factories.MemberFactory(branch=county["branch_a"], is_migrant=True)
    client.force_login(county["staff_a"])
    with translation.override("zh-hans"):
        page = client.get(reverse("people_members:index"))
        body = page.content.decode()
        soup = BeautifulSoup(body, "html.parser")
        assert not soup.select("tbody svg.icon-cross, tbody svg.icon-success")  # no red ✗ per row
        cells = {}
        for row in soup.select("tbody tr"):
            texts = [td.get_text(" ", strip=True) for td in row.select("td")]
            cells[next(t for t in texts if t)] = texts
        migrant_row = next(texts for name, texts in cells.items() if migrant.name in name)
        other_row = next(texts for name, texts in cells.items() if county["member_a"].name in name)
        assert "是" in migrant_row and "是" not in other_row

        download = download_export(client, reverse("people_members:index"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[migrant.name][-1] == "是" and by_name[county["member_a"].name][-1] == "否"
    assert not any("True" in row or "False" in row for row in rows)


@pytest.mark.django_db
def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("lms/favicon.ico")
    assert 'rel="icon"' in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_roll_call_links_to_the_venue_screen_and_the_live_room(client, county):
    data = build(county, 1)
    ((_, sessions),) = data["mine"]
    client.force_login(county["staff_a"])
    with time_machine.travel(NOW, tick=False):
        session_page = client.get(
            reverse("attendance_rollcall:session", args=[sessions[0].pk])
        ).content.decode()
        listing = client.get(reverse("attendance_rollcall:index")).content.decode()
        class_page = client.get(reverse("scheduling_classes:edit", args=[sessions[0].training_class_id]))
    live = sessions[-1]
    with time_machine.travel(NOW, tick=False):
        live_page = client.get(reverse("attendance_rollcall:session", args=[live.pk])).content.decode()
    venue = f"/attendance/sessions/{sessions[0].pk}/venue/"
    assert venue in session_page and f"/classroom/{sessions[0].pk}/" not in session_page  # in person
    assert f"/classroom/{live.pk}/" in live_page
    assert venue in listing and f"/classroom/{live.pk}/" in listing
    class_html = class_page.content.decode()
    assert all(f"/attendance/sessions/{s.pk}/venue/" in class_html for s in sessions)
    assert [f"/classroom/{s.pk}/" in class_html for s in sessions] == [False] * 5 + [True]


@pytest.mark.django_db
def test_favicon_is_served_by_the_development_urls_too(rf, settings):
    """`make run` serves with DEBUG, whose URLconf adds the media route: the favicon must still work."""
    import importlib

    from django.urls import clear_url_caches

    import lms.urls

    settings.DEBUG = True
    try:
        development_urls = importlib.reload(lms.urls)
        response = development_urls.favicon(rf.get("/favicon.ico"))
        assert any("media" in str(pattern.pattern) for pattern in development_urls.urlpatterns)
    finally:
        settings.DEBUG = False
        importlib.reload(lms.urls)
        clear_url_caches()
    assert response.status_code == 302 and response["Location"].endswith("lms/favicon.ico")
