"""Seed the demo county: the school tree and catalogues, the teacher pool, branches, members, logins,
training classes with their enrolments, the townships' annual teaching plans, the attendance of the
sessions held so far, and the evaluations of the sessions taught with the department's review scores."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from courses.models import CitySchoolPage, CoursePage, TeachingPointPage, TownshipSchoolPage
from lms.attendance.models import AttendanceRecord
from lms.demo import attendance, classes, live, online, pages, people
from lms.demo.evaluation import EvaluationResult, evaluations_ensure
from lms.evaluation.models import (
    AnswerTally,
    DepartmentScore,
    ScoringScheme,
    SessionEvaluation,
    Submission,
    TextAnswer,
)
from lms.people.models import Branch, Member, Teacher
from lms.scheduling.models import AnnualPlan, ClassStatus, Enrollment, PlannedClass, Session, TrainingClass

DEMO_PASSWORD = "demo"
DEFAULT_SEED = 2024
MIN_MEMBERS = people.FIXED_MEMBERS
MAX_MEMBERS = 20_000
LOGINS = ("orgdept", "cityschool", "township1", "teacher1", "member1", "migrant1", "terminal1")


def demo_random(purpose: str, seed: int) -> random.Random:
    """A generator per purpose, so adding teachers never changes the members drawn after them."""
    return random.Random(f"{purpose}-{seed}")  # noqa: S311 (made-up names, not secrets)


@dataclass
class SeedResult:
    members_created: int = 0
    teachers_created: int = 0
    seconds: float = 0.0
    member_seconds: float = 0.0
    classes_created: int = 0
    classes_skipped: int = 0  # slots whose bookings the service kept refusing (other data in the way)
    enrollments_created: int = 0
    class_seconds: float = 0.0
    attendance_created: int = 0
    attendance_seconds: float = 0.0
    evaluation: EvaluationResult | None = None
    live_session: Session | None = None
    city: CitySchoolPage | None = None
    counts: dict[str, int] = field(default_factory=dict)


def seed_county(
    members: int = 2000,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Create whatever of the demo county is missing; `members` counts member1 and migrant1 too.

    Classes are dated around `today` (default: the local date) and written only into an empty calendar.
    `progress`, when given, is told after each step what was done and how long it took.
    """
    step_started = time.perf_counter()

    def done(what: str) -> None:
        nonlocal step_started
        if progress is not None:
            progress(f"  {what} ({time.perf_counter() - step_started:.1f} s)")
        step_started = time.perf_counter()

    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        raise ValueError(f"members must be between {MIN_MEMBERS} and {MAX_MEMBERS}")
    result = SeedResult()
    started = time.perf_counter()
    password = make_password(DEMO_PASSWORD)  # hashed once, shared by every demo account
    with transaction.atomic():
        city, townships = pages.school_tree_ensure()
        branches = people.branches_ensure(townships)
        done(f"schools, teaching points and courses; {len(branches)} branches")
        result.teachers_created = people.teachers_ensure(demo_random("teachers", seed))
        people.logins_ensure(city, townships, password)
        done(f"{result.teachers_created} pool teachers, demo logins")
        members_started = time.perf_counter()
        result.members_created = people.members_ensure(
            members, branches, demo_random("members", seed), password
        )
        result.member_seconds = time.perf_counter() - members_started
        done(f"{result.members_created} members")
        classes_started = time.perf_counter()
        created = classes.classes_ensure(
            city, townships, demo_random("classes", seed), today or timezone.localdate()
        )
        result.classes_created, result.enrollments_created = created.created, created.enrolled
        result.classes_skipped = created.skipped
        result.class_seconds = time.perf_counter() - classes_started
        done(f"{result.classes_created} training classes, {result.enrollments_created} enrolments")
        now = timezone.now()
        result.live_session = live.live_ensure(townships[0], now, password)
        done("today's live lecture")
        attendance_started = time.perf_counter()
        result.attendance_created = attendance.attendance_ensure(demo_random("attendance", seed), now).created
        result.attendance_seconds = time.perf_counter() - attendance_started
        done(f"{result.attendance_created} attendance records")
        evaluation_started = time.perf_counter()
        result.evaluation = evaluations_ensure(seed, now)
        result.evaluation.seconds = time.perf_counter() - evaluation_started
        done("evaluations of the sessions taught")
        lessons = online.online_learning_ensure(city, townships)
        done(f"an online course of {lessons} lessons, a teaching point's online hall")
    result.seconds = time.perf_counter() - started
    result.city = city
    result.counts = county_counts()
    return result


def _by(queryset, field_name: str, prefix: str) -> dict[str, int]:
    rows = queryset.values_list(field_name).annotate(n=Count("pk")).order_by()
    return {f"{prefix}.{value}": n for value, n in rows}


def county_counts() -> dict[str, int]:
    """What the demo consists of, for the summary and for checking that a re-run changed nothing."""
    counts = {
        "city_schools": CitySchoolPage.objects.count(),
        "township_schools": TownshipSchoolPage.objects.count(),
        "teaching_points": TeachingPointPage.objects.count(),
        "branches": Branch.objects.count(),
        "teachers": Teacher.objects.count(),
        "members": Member.objects.count(),
        "migrant_members": Member.objects.filter(is_migrant=True).count(),
        "courses": CoursePage.objects.count(),
        "users": get_user_model().objects.count(),
        "training_classes": TrainingClass.objects.count(),
        "non_compliant_classes": TrainingClass.objects.filter(is_compliant=False)
        .exclude(status=ClassStatus.CANCELLED)
        .count(),
        "sessions": Session.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "annual_plans": AnnualPlan.objects.count(),
        "planned_classes": PlannedClass.objects.count(),
        "attendance_records": AttendanceRecord.objects.count(),
        "session_evaluations": SessionEvaluation.objects.count(),
        "evaluation_submissions": Submission.objects.count(),
        "evaluation_answers_counted": AnswerTally.objects.aggregate(n=Sum("count"))["n"] or 0,
        "evaluation_comments": TextAnswer.objects.count(),
        "department_scores": DepartmentScore.objects.count(),
        "scoring_schemes": ScoringScheme.objects.count(),
    }
    counts |= _by(TeachingPointPage.objects.all(), "category", "teaching_points")
    counts |= _by(Teacher.objects.all(), "category", "teachers")
    counts |= _by(Member.objects.all(), "category", "members")
    counts |= _by(CoursePage.objects.all(), "module", "courses")
    counts |= _by(TrainingClass.objects.all(), "status", "training_classes")
    counts |= _by(Session.objects.all(), "delivery", "sessions")
    counts |= _by(Enrollment.objects.all(), "status", "enrollments")
    counts |= _by(AttendanceRecord.objects.all(), "status", "attendance_records")
    return counts
