"""`manage.py demo`: seed a demo county (idempotent). `make run` calls it with --if-empty."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courses.models import CitySchoolPage, TeachingPointCategory
from lms.attendance.models import AttendanceStatus
from lms.demo.seed import DEFAULT_SEED, DEMO_PASSWORD, LOGINS, MAX_MEMBERS, MIN_MEMBERS, seed_county
from lms.scheduling.models import ClassStatus, Delivery, EnrollmentStatus


class Command(BaseCommand):
    help = (
        "Seed a demo county: a city school, 11 township schools with teaching points and catalogues, "
        "the 263-teacher pool, branches, members, demo logins (password: demo), about 130 training classes "
        "from a year ago to three months ahead with their enrolments and the attendance of the sessions "
        "held, and annual teaching plans. Safe to run again: it adds what is missing and never deletes "
        "(classes are added only to an empty calendar)."
    )

    result = None  # the last SeedResult, for callers that pass a Command instance to call_command

    def add_arguments(self, parser):
        parser.add_argument(
            "--members",
            type=int,
            default=2000,
            help=f"Party members in the county, demo logins included (default 2000, max {MAX_MEMBERS}).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when there is no city school yet; otherwise leave the data as it is.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed for generated names and assignments (default {DEFAULT_SEED}).",
        )

    def handle(self, *args, **options):
        # Read at run time, so override_settings(PRODUCTION=True) is honoured.
        if settings.PRODUCTION:
            raise CommandError(
                "Refusing to seed demo data in production (DJANGO_ENV=production): "
                f"the demo creates accounts whose password is '{DEMO_PASSWORD}'."
            )
        members = options.get("members", 2000)
        if not MIN_MEMBERS <= members <= MAX_MEMBERS:
            raise CommandError(f"--members must be between {MIN_MEMBERS} and {MAX_MEMBERS}, got {members}.")
        if options.get("if_empty") and CitySchoolPage.objects.exists():
            self.stdout.write("Demo data is already there (a city school exists); nothing to do.")
            return
        # The steps run inside one transaction in lms/demo/seed.py (nothing is written until the end);
        # each prints a line when done, so a minute of seeding does not look like a hang.
        self.stdout.write(f"Seeding the demo county with {members} members (about a minute)…")
        self.stdout.flush()
        self.result = seed_county(
            members=members, seed=options.get("seed", DEFAULT_SEED), progress=self.progress
        )
        self.stdout.write(summary(self.result))

    def progress(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()


def evaluation_lines(result) -> list[str]:
    """The evaluation phase: evaluations, answer sheets and comments, and what the demo logins find."""
    counts, evaluation = result.counts, result.evaluation
    if evaluation is None:
        return []
    lines = [
        f"  {'evaluations':<18}{counts['session_evaluations']:>6}"
        f"  ({counts['evaluation_submissions']} answer sheets, {counts['evaluation_comments']} comments, "
        f"{counts['department_scores']} review scores; {evaluation.submissions} sheets added "
        f"in {evaluation.seconds:.1f} s)"
    ]
    flagged = [
        f"{label} {teacher.name}"
        for label, teacher in (
            ("below 60 % two years running:", evaluation.removal_teacher),
            ("below 60 % this year:", evaluation.rectify_teacher),
        )
        if teacher is not None
    ]
    if flagged:
        lines.append("  " + "; ".join(flagged))
    if evaluation.member1_to_answer:
        titles = "、".join(f"“{session.display_title}”" for session in evaluation.member1_to_answer)
        lines.append(f"  member1 can still evaluate {titles}")
    return lines


def summary(result) -> str:
    counts = result.counts

    def line(label: str, key: str, prefix: str = "", parts: tuple[str, ...] = ()) -> str:
        detail = ", ".join(f"{part} {counts.get(f'{prefix}.{part}', 0)}" for part in parts)
        return f"  {label:<18}{counts[key]:>6}" + (f"  ({detail})" if detail else "")

    return "\n".join(
        [
            f"Demo county ready in {result.seconds:.1f} s "
            f"({result.members_created} members added in {result.member_seconds:.1f} s, "
            f"{result.classes_created} training classes with {result.enrollments_created} enrolments "
            f"in {result.class_seconds:.1f} s).",
            line("city schools", "city_schools") + f"  {result.city.title} is the site root /",
            line("township schools", "township_schools"),
            line(
                "teaching points", "teaching_points", "teaching_points", tuple(TeachingPointCategory.values)
            ),
            line("teacher pool", "teachers", "teachers", ("leading_cadre", "expert", "exemplar")),
            line("branches", "branches"),
            line("members", "members", "members", ("ordinary", "village_cadre", "branch_secretary"))
            + f", migrant {counts['migrant_members']}",
            line("courses", "courses", "courses", ("general", "professional", "thematic")),
            line("training classes", "training_classes", "training_classes", tuple(ClassStatus.values))
            + f", not compliant {counts['non_compliant_classes']}",
            line("sessions", "sessions", "sessions", tuple(Delivery.values)),
            line("enrolments", "enrollments", "enrollments", tuple(EnrollmentStatus.values)),
            line(
                "attendance",
                "attendance_records",
                "attendance_records",
                tuple(AttendanceStatus.values),
            )
            + f"  ({result.attendance_created} added in {result.attendance_seconds:.1f} s)",
            line("annual plans", "annual_plans") + f"  ({counts['planned_classes']} planned classes)",
            *evaluation_lines(result),
            *(
                [f"  {result.classes_skipped} demo classes left out (bookings clash)"]
                if result.classes_skipped
                else []
            ),
            *(
                [
                    f"Live lecture on air until {timezone.localtime(result.live_session.ends_at):%H:%M}: "
                    f"/classroom/{result.live_session.pk}/ (teacher1 teaches, member1 and terminal1 watch)"
                ]
                if result.live_session
                else []
            ),
            f"Demo logins (password: {DEMO_PASSWORD}): " + ", ".join(LOGINS),
            "Generated members log in with their phone number, e.g. 15800000003.",
        ]
    )
