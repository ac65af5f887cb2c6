"""The bell, the list, marking read, the preferences page and the API: each person reaches only their own
notifications; the list costs the same number of queries at 3 and 60 notifications."""

import json
import re
from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.notifications import services
from lms.notifications.models import Notification, NotificationKind, NotificationPreference
from tests.notifications.helpers import at

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 9)
LIST = reverse("notifications:list")
PREFERENCES = reverse("notifications:preferences")
API = "/api/v1/me/notifications"


def remind(user, count=1, start=0):
    for i in range(start, start + count):
        services.notify(
            user,
            NotificationKind.RESULTS_RELEASED,
            f"result:{i}",
            context={"title": f"第{i}次考试"},
            url="/me/",
        )
    return list(Notification.objects.filter(user=user).order_by("pk"))


@pytest.fixture
def signed_in(county, client, clock):
    clock.move_to(at(DAY, 10))
    client.force_login(county["member_a"].user)
    return client


def bell_count(response) -> str:
    html = response.content.decode()
    start = html.index('data-testid="bell"')
    return html[start : html.index(">", start)].split('data-unread="')[1].split('"')[0]


def test_the_bell_shows_the_unread_count_on_member_pages(signed_in, county):
    assert bell_count(signed_in.get(reverse("home"))) == "0"
    remind(county["member_a"].user, 3)
    remind(county["member_b"].user, 5)  # someone else's
    response = signed_in.get(reverse("home"))
    assert bell_count(response) == "3"
    assert re.search(r'data-testid="bell-count"[^>]*>3<', response.content.decode())


def test_the_bell_is_absent_for_visitors(client, county):
    assert 'data-testid="bell"' not in client.get(reverse("login")).content.decode()


def test_the_admin_menu_shows_staff_their_unread_count(client, county, clock):
    clock.move_to(at(DAY, 10))
    remind(county["staff_a"], 2)
    client.force_login(county["staff_a"])
    html = client.get("/admin/").content.decode()
    # The sidebar's items are JSON in the page (non-ASCII escaped).
    assert json.dumps("提醒（2 条未读）")[1:-1] in html


def test_the_list_marks_read_one_and_all(signed_in, county):
    first, second, _third = remind(county["member_a"].user, 3)
    html = signed_in.get(LIST).content.decode()
    assert html.count('data-testid="notification"') == 3 and "第0次考试" in html
    response = signed_in.post(reverse("notifications:read", args=[first.pk]), {"next": LIST})
    assert response.status_code == 302 and response["Location"] == LIST
    assert bell_count(signed_in.get(LIST)) == "2"
    response = signed_in.post(reverse("notifications:open", args=[second.pk]))
    assert response["Location"] == "/me/"
    signed_in.post(reverse("notifications:read_all"))
    assert bell_count(signed_in.get(LIST)) == "0"
    assert not Notification.objects.filter(read_at__isnull=True, user=county["member_a"].user).exists()


def test_nobody_reads_or_marks_another_persons_notification(signed_in, county):
    theirs = remind(county["member_b"].user, 1)[0]
    assert "第0次考试" not in signed_in.get(LIST).content.decode()
    assert signed_in.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert signed_in.post(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert signed_in.post(f"{API}/{theirs.pk}/read").status_code == 404
    signed_in.post(reverse("notifications:read_all"))
    signed_in.post(f"{API}/read-all")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert signed_in.get(API).json()["count"] == 0


def test_pages_and_api_need_a_login(client, county):
    assert client.get(LIST).status_code == 302
    assert client.get(PREFERENCES).status_code == 302
    assert client.get(API).status_code == 401


def test_open_goes_only_to_pages_of_this_site(signed_in, county):
    services.notify(
        county["member_a"].user, NotificationKind.MAKEUP_OWED, "x", context={}, url="https://evil.example/"
    )
    notification = Notification.objects.get()
    assert signed_in.post(reverse("notifications:open", args=[notification.pk]))["Location"] == LIST


def test_the_list_reads_in_the_pages_language(signed_in, county):
    remind(county["member_a"].user, 1)
    assert "成绩公布：第0次考试" in signed_in.get(LIST).content.decode()
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Results released: 第0次考试" in signed_in.get(LIST).content.decode()


def test_the_list_costs_the_same_queries_at_two_sizes(signed_in, county):
    def queries(count, start):
        remind(county["member_a"].user, count, start)
        signed_in.get(LIST)
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(LIST).status_code == 200
        with CaptureQueriesContext(connection) as api:
            assert signed_in.get(API, {"page_size": 50}).status_code == 200
        return len(captured), len(api)

    few = queries(3, 0)
    many = queries(57, 3)
    assert few == many
    assert Notification.objects.count() == 60


def test_the_list_is_paginated(signed_in, county):
    remind(county["member_a"].user, 25)
    html = signed_in.get(LIST).content.decode()
    assert html.count('data-testid="notification"') == 20 and 'data-testid="next-page"' in html
    assert signed_in.get(LIST, {"p": 2}).content.decode().count('data-testid="notification"') == 5


def test_the_preferences_page_shows_defaults_and_saves_choices(signed_in, county):
    html = signed_in.get(PREFERENCES).content.decode()
    assert 'data-testid="sms-class_tomorrow" checked' in html
    assert 'data-testid="sms-results_released">' in html  # not urgent: not by SMS
    assert 'data-testid="no-email"' in html  # the member has no e-mail address
    response = signed_in.post(
        PREFERENCES, {"language": "en", "sms": ["results_released"], "email": ["exam_scheduled"]}
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=county["member_a"].user)
    assert (preference.language, preference.sms_kinds, preference.email_kinds) == (
        "en",
        ["results_released"],
        ["exam_scheduled"],
    )
    refused = signed_in.post(PREFERENCES, {"language": "fr", "sms": ["party"]})
    assert refused.status_code == 400 and "不支持该语言" in refused.content.decode()


def test_the_api_lists_marks_and_sets_preferences(signed_in, county):
    first, *_rest = remind(county["member_a"].user, 3)
    body = signed_in.get(API).json()
    assert (body["unread"], body["count"]) == (3, 3)
    assert body["items"][0]["title"] == "成绩公布：第2次考试"
    read = signed_in.post(f"{API}/{first.pk}/read").json()
    assert read["read_at"] is not None
    assert signed_in.get(API, {"unread_only": True}).json()["count"] == 2
    assert signed_in.post(f"{API}/read-all").json() == {"marked": 2, "unread": 0}
    assert signed_in.get(API, {"page_size": 1000}).status_code == 422

    prefs = signed_in.get(f"{API}/preferences").json()
    assert "class_tomorrow" in prefs["sms_kinds"] and prefs["has_phone"] is True
    saved = signed_in.put(
        f"{API}/preferences",
        {"language": "en", "email_kinds": [], "sms_kinds": ["exam_scheduled"]},
        content_type="application/json",
    )
    assert saved.status_code == 200 and saved.json()["sms_kinds"] == ["exam_scheduled"]
    bad = signed_in.put(
        f"{API}/preferences",
        {"language": "fr", "email_kinds": [], "sms_kinds": []},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "language" in bad.json()["errors"]
    unknown = signed_in.put(
        f"{API}/preferences",
        {"language": "", "email_kinds": [], "sms_kinds": ["party"]},
        content_type="application/json",
    )
    assert unknown.status_code == 422
    assert signed_in.put(f"{API}/preferences", [None], content_type="application/json").status_code == 422
