"""The scheduling API: my sessions, one class, publishing, joining and leaving."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.scheduling import services
from lms.scheduling.models import ClassStatus, Enrollment, EnrollmentStatus, Session, SessionKind
from tests import factories
from tests.factories import TeacherFactory, UserFactory
from tests.people.test_api import auth, token_for


def day(offset: int = 7):
    return timezone.localdate() + timedelta(days=offset)


@pytest.fixture
def teacher(db):
    return TeacherFactory(user=UserFactory(username="teacher1"), name="王讲师")


def a_class(county, teacher, *, town="a", offset=7, publish=True, **fields):
    return factories.training_class(
        county[f"town_{town}"],
        day(offset),
        teacher=teacher,
        point=county[f"point_{town}"],
        publish=publish,
        **fields,
    )


def enrol(county, training_class, *members):
    services.enrolment_add(actor=county["org"], training_class=training_class, members=list(members))


def login(client, user_or_name):
    username = user_or_name if isinstance(user_or_name, str) else user_or_name.username
    return auth(token_for(client, username))


# --- /me/sessions --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_sessions_are_only_mine(client, county, teacher):
    mine = a_class(county, teacher, title="我的班")
    other = a_class(county, teacher, town="b", offset=8, title="别人的班")
    enrol(county, mine, county["member_a"])
    enrol(county, other, county["member_b"])
    response = client.get("/api/v1/me/sessions", **login(client, county["member_a"].user))
    assert response.status_code == 200
    data = response.json()
    expected = list(mine.sessions.order_by("starts_at").values_list("pk", flat=True))
    assert [s["id"] for s in data] == expected
    first = data[0]
    assert first["training_class"] == {
        "id": mine.pk,
        "title": "我的班",
        "status": "published",
        "status_label": first["training_class"]["status_label"],
    }
    assert first["role"] == "member" and first["kind"] == SessionKind.SIGN_IN and first["kind_label"]
    site_visit = next(s for s in data if s["kind"] == SessionKind.SITE_VISIT)
    assert site_visit["place"] == county["point_a"].title and site_visit["teacher"] == "王讲师"
    assert data[0]["address"] == ""  # the township school has no address in the factory


@pytest.mark.django_db
def test_my_sessions_filter_by_from_and_to(client, county, teacher):
    near = a_class(county, teacher, offset=3)
    far = a_class(county, teacher, offset=30)
    enrol(county, near, county["member_a"])
    enrol(county, far, county["member_a"])
    headers = login(client, county["member_a"].user)

    def ids(query):
        response = client.get(f"/api/v1/me/sessions{query}", **headers)
        assert response.status_code == 200, response.content
        return {s["id"] for s in response.json()}

    near_ids = set(near.sessions.values_list("pk", flat=True))
    far_ids = set(far.sessions.values_list("pk", flat=True))
    assert ids("") == near_ids | far_ids
    assert ids(f"?to={day(3).isoformat()}") == near_ids  # a date `to` includes that day
    assert ids(f"?to={day(2).isoformat()}") == set()
    assert ids(f"?from={day(4).isoformat()}") == far_ids
    # Datetimes: with an offset, or naive in the site's time zone (Asia/Shanghai); the factory's
    # sessions run one hour each from 08:00.
    after_noon = {s.pk for s in near.sessions.all() if timezone.localtime(s.ends_at).hour > 12}
    before_nine = {s.pk for s in far.sessions.all() if timezone.localtime(s.starts_at).hour < 9}
    assert len(after_noon) == 2 and len(before_nine) == 1
    assert ids(f"?from={day(3).isoformat()}T12:00:00%2B08:00&to={day(30).isoformat()}T09:00") == (
        after_noon | before_nine
    )
    assert ids(f"?from={day(100).isoformat()}") == set()


@pytest.mark.django_db
def test_bad_ranges_are_refused_with_a_message(client, county):
    headers = login(client, county["member_a"].user)
    backwards = client.get(f"/api/v1/me/sessions?from={day(5)}&to={day(1)}", **headers)
    assert backwards.status_code == 400 and "to" in backwards.json()["errors"]
    too_long = client.get(f"/api/v1/me/sessions?from={day(0)}&to={day(400)}", **headers)
    assert too_long.status_code == 400
    assert "366" in too_long.json()["detail"]
    garbage = client.get("/api/v1/me/sessions?from=tomorrow", **headers)
    assert garbage.status_code == 400 and "tomorrow" in garbage.json()["errors"]["from"][0]
    assert client.get("/api/v1/me/sessions").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["to=9999-12-31", "from=9999-12-31", "to=9999-12-31T23:59:59", "from=0001-01-01", "to=0000-01-01"],
)
def test_years_out_of_range_are_400_with_a_message(client, county, query):
    response = client.get(f"/api/v1/me/sessions?{query}", **login(client, county["member_a"].user))
    assert response.status_code == 400
    assert response.json()["detail"] and response.json()["errors"]


@pytest.mark.django_db
def test_teacher_gets_their_bookings_with_the_teacher_role(client, county, teacher):
    booked = a_class(county, teacher)
    data = client.get("/api/v1/me/sessions", **login(client, teacher.user)).json()
    assert {s["id"] for s in data} == set(
        booked.sessions.filter(teacher=teacher).values_list("pk", flat=True)
    )
    assert {s["role"] for s in data} == {"teacher"}


# --- /classes/{id} -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_class_detail_with_compliance_for_the_staff_who_manage_it(client, county, teacher):
    draft = a_class(county, teacher, publish=False, title="甲镇草稿")
    response = client.get(f"/api/v1/classes/{draft.pk}", **login(client, "staff_a"))
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "甲镇草稿" and data["status"] == ClassStatus.DRAFT
    assert len(data["sessions"]) == draft.sessions.count()
    assert data["compliance"] == {"is_compliant": True, "violations": []}


@pytest.mark.django_db
def test_drafts_of_another_township_are_404_and_published_classes_are_public(client, county, teacher):
    draft = a_class(county, teacher, publish=False)
    published = a_class(county, teacher, offset=8)
    staff_b = login(client, "staff_b")
    assert client.get(f"/api/v1/classes/{draft.pk}", **staff_b).status_code == 404
    assert client.get("/api/v1/classes/999999", **staff_b).status_code == 404
    member = login(client, county["member_b"].user)
    assert client.get(f"/api/v1/classes/{draft.pk}", **member).status_code == 404
    data = client.get(f"/api/v1/classes/{published.pk}", **member).json()
    assert data["status"] == ClassStatus.PUBLISHED and data["compliance"] is None
    assert data["my_enrolment"] is None


# --- publishing ----------------------------------------------------------------------------------


def non_compliant_draft(county, teacher):
    training_class = a_class(county, teacher, publish=False, title="缺誓词的班")
    Session.objects.filter(training_class=training_class, kind=SessionKind.OATH).delete()
    return training_class


@pytest.mark.django_db
def test_publish_refuses_a_non_compliant_draft_with_the_missing_item(client, county, teacher):
    training_class = non_compliant_draft(county, teacher)
    headers = login(client, "staff_a")
    detail = client.get(f"/api/v1/classes/{training_class.pk}", **headers).json()
    assert detail["compliance"]["is_compliant"] is False
    oath = str(SessionKind.OATH.label)
    assert any(oath in message for message in detail["compliance"]["violations"])

    response = client.post(f"/api/v1/classes/{training_class.pk}/publish", **headers)
    assert response.status_code == 400
    assert oath in response.json()["detail"]
    assert any(oath in message for message in response.json()["errors"]["__all__"])
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.DRAFT


@pytest.mark.django_db
def test_publishing_a_hidden_draft_is_404_like_a_missing_class(client, county, teacher):
    """Another township's draft answers exactly as a missing id, so its existence does not leak."""
    training_class = a_class(county, teacher, publish=False)
    missing = client.post("/api/v1/classes/999999/publish", **login(client, "staff_b"))
    hidden = client.post(f"/api/v1/classes/{training_class.pk}/publish", **login(client, "staff_b"))
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert hidden.status_code == 404
    member = login(client, county["member_a"].user)
    assert client.post(f"/api/v1/classes/{training_class.pk}/publish", **member).status_code == 404
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.DRAFT


@pytest.mark.django_db
def test_publish_is_403_when_the_class_is_visible_but_not_yours(client, county, teacher):
    training_class = a_class(county, teacher, publish=False)
    enrol(county, training_class, county["member_a"])  # an enrolled member may read the draft
    response = client.post(
        f"/api/v1/classes/{training_class.pk}/publish", **login(client, county["member_a"].user)
    )
    assert response.status_code == 403 and response.json()["detail"]


@pytest.mark.django_db
def test_publish_succeeds_for_a_compliant_draft(client, county, teacher):
    training_class = a_class(county, teacher, publish=False)
    response = client.post(f"/api/v1/classes/{training_class.pk}/publish", **login(client, "staff_a"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == ClassStatus.PUBLISHED
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.PUBLISHED and training_class.published_at


# --- joining and leaving -------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_joins_and_leaves_through_the_api(client, county, teacher):
    training_class = a_class(county, teacher, self_enrolment=True)
    headers = login(client, county["member_a"].user)
    url = f"/api/v1/classes/{training_class.pk}/enrolment"
    joined = client.post(url, **headers)
    assert joined.status_code == 200, joined.content
    assert joined.json()["status"] == EnrollmentStatus.ENROLLED
    assert client.get(f"/api/v1/classes/{training_class.pk}", **headers).json()["my_enrolment"] == "enrolled"
    left = client.delete(url, **headers)
    assert left.status_code == 200 and left.json()["status"] == EnrollmentStatus.WITHDRAWN
    assert Enrollment.objects.get(training_class=training_class).status == EnrollmentStatus.WITHDRAWN
    assert client.delete(url, **headers).status_code == 404


@pytest.mark.django_db
def test_join_and_leave_are_refused_properly(client, county, teacher):
    other_town = a_class(county, teacher, town="b", self_enrolment=True)
    headers = login(client, county["member_a"].user)
    refused = client.post(f"/api/v1/classes/{other_town.pk}/enrolment", **headers)
    assert refused.status_code == 400 and refused.json()["detail"]
    draft = a_class(county, teacher, offset=9, publish=False, self_enrolment=True)
    assert client.post(f"/api/v1/classes/{draft.pk}/enrolment", **headers).status_code == 404
    started = a_class(county, TeacherFactory(), offset=0)
    enrol(county, started, county["member_a"])
    leave = client.delete(f"/api/v1/classes/{started.pk}/enrolment", **headers)
    assert leave.status_code == 400
    not_member = client.post(f"/api/v1/classes/{other_town.pk}/enrolment", **login(client, "staff_a"))
    assert not_member.status_code == 403


@pytest.mark.django_db
def test_routes_are_documented_with_tags(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["paths"]["/api/v1/me/sessions"]["get"]["tags"] == ["calendar"]
    assert schema["paths"]["/api/v1/classes/{class_id}/publish"]["post"]["tags"] == ["classes"]
    names = {p["name"] for p in schema["paths"]["/api/v1/me/sessions"]["get"]["parameters"]}
    assert names == {"from", "to"}
