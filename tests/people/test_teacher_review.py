"""services.teacher_review_record: one decision per teacher and year, applied to the active years;
recording again for the same year is a correction that replaces the earlier decision's effect."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lms.people.models import TeacherReview, TeacherReviewDecision
from lms.people.services import teacher_review_record
from tests import factories

pytestmark = pytest.mark.django_db

KEPT, RETIRED, ADDED = TeacherReviewDecision.KEPT, TeacherReviewDecision.RETIRED, TeacherReviewDecision.ADDED


@pytest.fixture
def org():
    return factories.org_dept_user()


def record(teacher, year, decision, actor, note=""):
    review = teacher_review_record(teacher=teacher, year=year, decision=decision, note=note, actor=actor)
    teacher.refresh_from_db()
    return review


def test_retirement_corrected_to_kept_in_the_same_year_puts_the_teacher_back(org):
    teacher = factories.TeacherFactory(active_from=2020)
    record(teacher, 2025, RETIRED, org)
    assert teacher.active_to == 2025
    record(teacher, 2025, KEPT, org, note="更正")
    assert teacher.active_to is None
    assert teacher.is_active_in(2026)
    review = TeacherReview.objects.get(teacher=teacher)
    assert (review.year, review.decision, review.note) == (2025, KEPT, "更正")


def test_recording_the_same_retirement_again_keeps_it(org):
    teacher = factories.TeacherFactory(active_from=2020)
    record(teacher, 2025, RETIRED, org)
    record(teacher, 2025, RETIRED, org)
    assert teacher.active_to == 2025
    assert TeacherReview.objects.filter(teacher=teacher).count() == 1


def test_correcting_an_older_retirement_leaves_a_later_one(org):
    teacher = factories.TeacherFactory(active_from=2020)
    record(teacher, 2024, RETIRED, org)
    record(teacher, 2025, RETIRED, org)
    record(teacher, 2024, KEPT, org)
    assert teacher.active_to == 2025
    assert TeacherReview.objects.filter(teacher=teacher).count() == 2


def test_retirement_corrected_to_added_reopens_the_pool(org):
    teacher = factories.TeacherFactory(active_from=2020)
    record(teacher, 2025, RETIRED, org)
    record(teacher, 2025, ADDED, org)
    assert (teacher.active_from, teacher.active_to) == (2020, None)


def test_added_corrected_to_kept_or_retired_keeps_the_joining_year(org):
    # "Added" does not record the years it replaced, so a correction cannot restore them.
    teacher = factories.TeacherFactory(active_from=2025)
    record(teacher, 2025, ADDED, org)
    record(teacher, 2025, KEPT, org)
    assert (teacher.active_from, teacher.active_to) == (2025, None)
    record(teacher, 2025, RETIRED, org)
    assert (teacher.active_from, teacher.active_to) == (2025, 2025)
    assert TeacherReview.objects.get(teacher=teacher).decision == RETIRED


def test_a_teacher_retired_in_a_year_teaches_that_year_but_not_the_next(org):
    teacher = factories.TeacherFactory(active_from=2020)
    record(teacher, 2025, RETIRED, org)
    assert teacher.is_active_in(2025)
    assert not teacher.is_active_in(2026)


@pytest.mark.parametrize(("active_from", "active_to"), [(2020, 2023), (2026, None)])
def test_keeping_a_teacher_not_in_the_pool_that_year_is_refused(org, active_from, active_to):
    teacher = factories.TeacherFactory(active_from=active_from, active_to=active_to)
    with pytest.raises(ValidationError):
        teacher_review_record(teacher=teacher, year=2025, decision=KEPT, actor=org)
    assert not TeacherReview.objects.exists()
    teacher.refresh_from_db()
    assert (teacher.active_from, teacher.active_to) == (active_from, active_to)


def test_a_refused_correction_changes_nothing(org):
    teacher = factories.TeacherFactory(active_from=2020)
    record(teacher, 2023, RETIRED, org)
    record(teacher, 2025, ADDED, org)  # rejoins: the pool years are now 2025 onwards
    assert (teacher.active_from, teacher.active_to) == (2025, None)
    with pytest.raises(ValidationError):
        teacher_review_record(teacher=teacher, year=2023, decision=KEPT, actor=org)
    teacher.refresh_from_db()
    assert (teacher.active_from, teacher.active_to) == (2025, None)
    assert TeacherReview.objects.get(teacher=teacher, year=2023).decision == RETIRED


@pytest.mark.parametrize("who", ["staff_a", "city_staff", "member"])
def test_only_the_organization_department_records_reviews(county, who):
    actor = county["member_a"].user if who == "member" else county[who]
    teacher = factories.TeacherFactory(active_from=2020)
    with pytest.raises(PermissionDenied):
        teacher_review_record(teacher=teacher, year=2025, decision=RETIRED, actor=actor)
    teacher.refresh_from_db()
    assert teacher.active_to is None
    assert not TeacherReview.objects.exists()
