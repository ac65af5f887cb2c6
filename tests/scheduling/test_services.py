"""The scheduling services: who may schedule and enrol where, and what holds under concurrency."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lms.scheduling import selectors, services
from lms.scheduling.models import ClassStatus, Enrollment, EnrollmentStatus, Session, TrainingClass
from tests import factories
from tests.concurrency import run_at_once
from tests.services import need_postgres

DAY = date(2026, 12, 7)


@pytest.fixture
def classes(county):
    teacher = factories.TeacherFactory()
    return {
        **county,
        "teacher": teacher,
        "class_a": factories.training_class(county["town_a"], DAY, teacher=teacher, point=county["point_a"]),
        "class_b": factories.training_class(
            county["town_b"], DAY, teacher=factories.TeacherFactory(), point=county["point_b"]
        ),
    }


def test_township_staff_schedule_only_at_their_school(county):
    with pytest.raises(PermissionDenied):
        factories.training_class(
            county["town_b"],
            DAY,
            teacher=factories.TeacherFactory(),
            point=county["point_b"],
            actor=county["staff_a"],
        )
    made = factories.training_class(
        county["town_a"],
        DAY,
        teacher=factories.TeacherFactory(),
        point=county["point_a"],
        actor=county["staff_a"],
    )
    assert made.created_by == county["staff_a"]


def test_township_staff_see_and_change_only_their_townships_classes(classes):
    staff_a = classes["staff_a"]
    assert list(selectors.classes_for_user(staff_a)) == [classes["class_a"]]
    assert set(selectors.classes_for_user(classes["city_staff"])) == {classes["class_a"], classes["class_b"]}
    assert selectors.classes_for_user(classes["member_a"].user).count() == 0
    for action in (
        lambda: services.training_class_publish(actor=staff_a, training_class=classes["class_b"]),
        lambda: services.training_class_cancel(actor=staff_a, training_class=classes["class_b"], reason="x"),
        lambda: services.training_class_copy(
            actor=staff_a, training_class=classes["class_b"], start_date=DAY
        ),
        lambda: services.training_class_save(actor=staff_a, training_class=classes["class_b"]),
        lambda: services.enrolment_add(actor=staff_a, training_class=classes["class_b"], members=[]),
    ):
        with pytest.raises(PermissionDenied):
            action()
    assert TrainingClass.objects.get(pk=classes["class_b"].pk).status == ClassStatus.DRAFT


def test_township_staff_enrol_only_their_townships_members(classes):
    report = services.enrolment_add(
        actor=classes["staff_a"],
        training_class=classes["class_a"],
        members=[classes["member_a"], classes["member_b"]],
    )
    assert [m.pk for m in report.enrolled] == [classes["member_a"].pk]
    assert [m.pk for m, _reason in report.refused] == [classes["member_b"].pk]
    # The city school may enrol anyone under the city.
    report = services.enrolment_add(
        actor=classes["city_staff"], training_class=classes["class_a"], members=[classes["member_b"]]
    )
    assert [m.pk for m in report.enrolled] == [classes["member_b"].pk]


def test_enrol_by_branch_and_by_category(classes):
    from lms.people.models import MemberCategory

    cadre = factories.MemberFactory(branch=classes["branch_a"], category=MemberCategory.VILLAGE_CADRE)
    report = services.enrolment_add_category(
        actor=classes["staff_a"], training_class=classes["class_a"], category=MemberCategory.VILLAGE_CADRE
    )
    assert [m.pk for m in report.enrolled] == [cadre.pk]
    report = services.enrolment_add_branch(
        actor=classes["staff_a"], training_class=classes["class_a"], branch=classes["branch_a"]
    )
    assert [m.pk for m in report.enrolled] == [classes["member_a"].pk]
    assert [m.pk for m in report.already] == [cadre.pk]


def test_capacity_below_enrolled_is_refused_and_raising_it_moves_the_list_up(classes):
    training_class = classes["class_a"]
    training_class.capacity = 1
    services.training_class_save(actor=None, training_class=training_class)
    extra = factories.MemberFactory(branch=classes["branch_a"])
    services.enrolment_add(
        actor=classes["staff_a"], training_class=training_class, members=[classes["member_a"], extra]
    )
    assert Enrollment.objects.get(member=extra).status == EnrollmentStatus.WAITLISTED
    training_class.capacity = 2
    services.training_class_save(actor=classes["staff_a"], training_class=training_class)
    assert Enrollment.objects.get(member=extra).status == EnrollmentStatus.ENROLLED
    training_class.capacity = 1
    with pytest.raises(ValidationError, match="2"):
        services.training_class_save(actor=classes["staff_a"], training_class=training_class)


def test_published_class_cannot_be_edited_into_breaking_the_template(classes):
    training_class = services.training_class_publish(actor=None, training_class=classes["class_a"])
    sessions = [s for s in training_class.sessions.all() if s.kind != "oath"]
    with pytest.raises(ValidationError):
        services.training_class_save(
            actor=classes["staff_a"], training_class=training_class, sessions=sessions
        )
    assert Session.objects.filter(training_class=training_class, kind="oath").exists()


def test_copy_moves_the_timetable_to_the_new_date(classes):
    copy = services.training_class_copy(
        actor=classes["staff_a"], training_class=classes["class_a"], start_date=date(2027, 1, 4)
    )
    assert copy.status == ClassStatus.DRAFT and copy.is_compliant
    shifted = [s.starts_at.date() for s in copy.sessions.all()]
    assert set(shifted) == {date(2027, 1, 4)}
    assert copy.sessions.count() == classes["class_a"].sessions.count()


def test_cancel_needs_a_reason(classes):
    with pytest.raises(ValidationError):
        services.training_class_cancel(
            actor=classes["staff_a"], training_class=classes["class_a"], reason=" "
        )
    cancelled = services.training_class_cancel(
        actor=classes["staff_a"], training_class=classes["class_a"], reason="暴雨"
    )
    assert cancelled.status == ClassStatus.CANCELLED and cancelled.cancel_reason == "暴雨"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enrolments_never_exceed_capacity(county):
    need_postgres()
    training_class = factories.training_class(
        county["town_a"], DAY, teacher=factories.TeacherFactory(), point=county["point_a"], capacity=5
    )
    members = [factories.MemberFactory(branch=county["branch_a"]) for _ in range(12)]
    errors = run_at_once(
        12,
        lambda i: services.enrolment_add(
            actor=county["staff_a"], training_class=training_class, members=[members[i]]
        ),
    )
    assert errors == []
    statuses = list(Enrollment.objects.filter(training_class=training_class).values_list("status", flat=True))
    assert statuses.count(EnrollmentStatus.ENROLLED) == 5
    assert statuses.count(EnrollmentStatus.WAITLISTED) == 7


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_teacher_keep_one(county):
    need_postgres()
    teacher = factories.TeacherFactory()
    points = [county["point_a"], county["point_b"], factories.teaching_point(county["town_a"])]
    schools = [county["town_a"], county["town_b"], county["town_a"]]
    errors = run_at_once(
        3,
        lambda i: factories.training_class(schools[i], DAY, teacher=teacher, point=points[i], venue=f"室{i}"),
    )
    assert len(errors) == 2 and all(isinstance(e, ValidationError) for e in errors)
    assert TrainingClass.objects.count() == 1
