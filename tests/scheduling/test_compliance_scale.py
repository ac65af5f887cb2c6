"""The 5+1+N compliance overview at county scale (issue 13): bounded to the classes not over yet (or a
chosen year), 50 to a page, chosen by the stored flag, in the same number of queries however many
classes and years there are."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lms.scheduling import services
from lms.scheduling.admin import compliance
from lms.scheduling.models import SessionKind
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("scheduling_compliance:index")
WITHOUT_OATH = [kind for kind in SessionKind if kind not in (SessionKind.OATH, SessionKind.ELECTIVE)]


@pytest.fixture
def drafts(county):
    """`make(day, school="town_a", compliant=False)`: a draft on `day`, without the oath unless
    compliant."""
    teacher = factories.TeacherFactory(active_from=2000)

    def make(day: date, school: str = "town_a", compliant: bool = False):
        point = county["point_b"] if school == "town_b" else county["point_a"]
        return services.training_class_create(
            actor=None,
            school=county[school],
            title=f"{school}-{day}-{'ok' if compliant else 'no-oath'}",
            start_date=day,
            sessions=factories.class_sessions(
                day, teacher=teacher, point=point, kinds=None if compliant else WITHOUT_OATH
            ),
        )

    return make


def today() -> date:
    return timezone.localdate()


def listed(response) -> list[int]:
    return [row["training_class"].pk for school in response.context["schools"] for row in school["rows"]]


def page_queries(client, params=None) -> tuple[int, object]:
    client.get(URL, params or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(captured), response


def test_default_is_the_classes_not_over_yet_and_a_year_on_demand(client, county, drafts):
    old = drafts(date(today().year - 3, 3, 2))
    coming = drafts(today() + timedelta(days=30))
    ready = drafts(today() + timedelta(days=31), compliant=True)
    published = factories.training_class(
        county["town_a"],
        today() + timedelta(days=32),
        teacher=factories.TeacherFactory(active_from=2000),
        point=county["point_a"],
        publish=True,
    )
    client.force_login(county["org"])
    response = client.get(URL)
    assert listed(response) == [coming.pk, ready.pk] and response.context["total"] == 2
    rows = {row["training_class"].pk: row for school in response.context["schools"] for row in school["rows"]}
    assert [v.code for v in rows[coming.pk]["violations"]] == ["missing_oath"]
    assert rows[ready.pk]["violations"] == []
    assert published.pk not in rows
    page = response.content.decode()
    assert str(SessionKind.OATH.label) in page and old.title not in page

    response = client.get(URL, {"year": old.start_date.year})
    assert listed(response) == [old.pk]
    assert client.get(URL, {"year": "nonsense"}).context["year"] is None


def test_queries_do_not_grow_with_classes_schools_or_years(client, county, drafts):
    client.force_login(county["org"])
    for n in range(2):
        drafts(today() + timedelta(days=10 + n))
    drafts(date(today().year - 1, 3, 2))
    few, _response = page_queries(client)
    few_year, _response = page_queries(client, {"year": today().year - 1})

    for n in range(8):
        drafts(today() + timedelta(days=20 + n), school="town_b" if n % 2 else "town_a")
    for years_ago in (1, 2, 3):
        for n in range(2):
            drafts(date(today().year - years_ago, 4, 6 + n), school="town_b")
    many, response = page_queries(client)
    assert many == few and response.context["total"] == 10
    assert {school["school"].pk for school in response.context["schools"]} == {
        county["town_a"].pk,
        county["town_b"].pk,
    }
    many_year, response = page_queries(client, {"year": today().year - 1})
    assert many_year == few_year and response.context["total"] == 3


def test_pages_list_every_class_once(client, county, drafts, monkeypatch):
    monkeypatch.setattr(compliance, "PER_PAGE", 2)
    made = [drafts(today() + timedelta(days=5 + n), school="town_b" if n % 2 else "town_a") for n in range(5)]
    client.force_login(county["city_staff"])
    seen = []
    for number in (1, 2, 3):
        response = client.get(URL, {"p": number})
        seen += listed(response)
    assert sorted(seen) == sorted(c.pk for c in made) and len(seen) == 5
    assert not response.context["page"].has_next()
    assert "p=2" in response.content.decode()  # the link back keeps the filter
