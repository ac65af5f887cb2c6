"""The 5+1+N rules function: each violation alone, all together, and a compliant class."""

from datetime import date, timedelta

import pytest

from courses.models import TeachingPointPage
from lms.scheduling.models import Session, SessionKind, TrainingClass
from lms.scheduling.rules import class_violations
from lms.scheduling.services import class_skeleton
from tests import factories

DAY = date(2026, 12, 7)


@pytest.fixture
def parts(county):
    return {"teacher": factories.TeacherFactory(), "point": county["point_a"], "school": county["town_a"]}


def make(parts, kinds=None, **changes):
    sessions = factories.class_sessions(DAY, teacher=parts["teacher"], point=parts["point"], kinds=kinds)
    training_class = TrainingClass(school=parts["school"], title="班", start_date=DAY, end_date=DAY)
    for index, values in changes.items():
        for name, value in values.items():
            setattr(sessions[int(index)], name, value)
    return training_class, sessions


def codes(training_class, sessions):
    return [v.code for v in class_violations(training_class, sessions)]


def test_compliant_class_has_no_violations(parts):
    assert codes(*make(parts)) == []


@pytest.mark.parametrize("missing", ["sign_in", "anthem", "oath", "constitution", "leader_lecture"])
def test_each_missing_mandatory_item_is_named(parts, missing):
    kinds = [k for k in SessionKind if k not in (missing, SessionKind.ELECTIVE)]
    training_class, sessions = make(parts, kinds=kinds)
    violations = class_violations(training_class, sessions)
    assert [v.code for v in violations] == [f"missing_{missing}"]
    assert str(SessionKind(missing).label) in violations[0].message


def test_no_session_at_a_teaching_point(parts):
    kinds = [k for k in SessionKind if k not in (SessionKind.SITE_VISIT,)]
    assert codes(*make(parts, kinds=kinds)) == ["no_teaching_point"]


def test_site_visit_without_teaching_point(parts):
    training_class, sessions = make(parts)
    site_visit = next(s for s in sessions if s.kind == SessionKind.SITE_VISIT)
    site_visit.teaching_point = None
    assert codes(training_class, sessions) == ["no_teaching_point", "site_visit_without_point"]


def test_site_visit_at_a_point_that_belongs_to_no_school(parts):
    point: TeachingPointPage = parts["point"]
    point.get_parent().specific.unpublish()  # its school is gone from the public tree
    training_class, sessions = make(parts)
    violations = class_violations(training_class, sessions)
    assert [v.code for v in violations] == ["point_without_school"]
    assert point.title in violations[0].message


def test_unpublished_teaching_point_belongs_to_no_school(parts):
    parts["point"].unpublish()
    training_class, sessions = make(parts)
    assert codes(training_class, sessions) == ["point_without_school"]


@pytest.mark.parametrize("kind", ["leader_lecture", "site_visit", "elective"])
def test_taught_item_without_teacher(parts, kind):
    kinds = [k for k in SessionKind if k != SessionKind.ELECTIVE] + (
        [SessionKind.ELECTIVE] if kind == "elective" else []
    )
    training_class, sessions = make(parts, kinds=kinds)
    next(s for s in sessions if s.kind == kind).teacher = None
    violations = class_violations(training_class, sessions)
    assert [v.code for v in violations] == ["no_teacher"]
    assert str(SessionKind(kind).label) in violations[0].message


def test_teacher_retired_from_the_pool(parts):
    parts["teacher"].active_to = DAY.year - 1
    assert codes(*make(parts)) == ["teacher_not_in_pool", "teacher_not_in_pool"]


def test_session_outside_class_dates(parts):
    training_class, sessions = make(parts)
    sessions[2].starts_at += timedelta(days=1)
    sessions[2].ends_at += timedelta(days=1)
    violations = class_violations(training_class, sessions)
    assert [v.code for v in violations] == ["outside_class_dates"]
    assert violations[0].session_index == 2


def test_end_before_start(parts):
    training_class, sessions = make(parts)
    sessions[0].ends_at = sessions[0].starts_at - timedelta(minutes=5)
    assert codes(training_class, sessions) == ["end_before_start"]


def test_all_violations_together(parts):
    training_class = TrainingClass(school=parts["school"], title="班", start_date=DAY, end_date=DAY)
    start = factories.class_sessions(DAY, teacher=None, point=None)[0].starts_at
    sessions = [
        Session(kind=SessionKind.SIGN_IN, starts_at=start, ends_at=start - timedelta(minutes=1)),
        Session(
            kind=SessionKind.LEADER_LECTURE,
            starts_at=start + timedelta(days=2),
            ends_at=start + timedelta(days=2, hours=1),
        ),
        Session(kind=SessionKind.SITE_VISIT, starts_at=start, ends_at=start + timedelta(hours=1)),
    ]
    assert codes(training_class, sessions) == [
        "missing_anthem",
        "missing_oath",
        "missing_constitution",
        "no_teaching_point",
        "end_before_start",
        "outside_class_dates",
        "no_teacher",
        "no_teacher",
        "site_visit_without_point",
    ]


def test_skeleton_offers_the_template_in_order(parts):
    skeleton = class_skeleton(school=parts["school"], start_date=DAY)
    kinds = [s.kind for s in skeleton.sessions.all()]
    assert kinds == ["sign_in", "anthem", "oath", "constitution", "leader_lecture", "site_visit", "elective"]
    # Empty skeleton: only what staff must fill in is missing.
    assert set(codes(skeleton, list(skeleton.sessions.all()))) == {
        "no_teaching_point",
        "no_teacher",
        "site_visit_without_point",
    }


def test_unpublishing_a_teaching_point_flags_the_classes_visiting_it(parts):
    training_class = factories.training_class(
        parts["school"], DAY, teacher=parts["teacher"], point=parts["point"]
    )
    assert training_class.is_compliant
    parts["point"].unpublish()
    training_class.refresh_from_db()
    assert training_class.is_compliant is False
    parts["point"].save_revision().publish()
    training_class.refresh_from_db()
    assert training_class.is_compliant is True


def test_a_titled_session_is_named_with_its_kind(parts):
    training_class, sessions = make(parts)
    lecture = next(s for s in sessions if s.kind == SessionKind.LEADER_LECTURE)
    lecture.title, lecture.teacher = "学习二十大精神", None
    (violation,) = class_violations(training_class, sessions)
    assert "学习二十大精神" in violation.message
    assert str(SessionKind.LEADER_LECTURE.label) in violation.message
