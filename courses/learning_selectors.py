"""Reads about online courses: which courses a member has (started or pushed to them), their progress
per lesson and per course, what to continue, and who learns a course (for staff).

A lesson is complete for a member when its material is — a LessonCompletion row (document opened, text
marked read, video recorded as watched), or, for a video, when lms.learning says the video is completed
(the row is then written by `learning_services.video_completions_record`) — and, in a course whose
checks must be passed, when the lesson's check (lms.quizzes) is passed too.

Every function below reads a fixed number of queries whatever the number of courses or lessons."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from wagtail.models import Page

from courses.learning_models import CourseLearner, Lesson, LessonCompletion, LessonKind
from courses.models import CoursePage
from lms.compiled import CompiledQuery, Slot
from lms.people.models import Member


@dataclass
class LessonProgress:
    lesson: Lesson
    recorded: bool  # a LessonCompletion row exists
    material_done: bool
    check_passed: bool | None  # None: the lesson has no check
    complete: bool


@dataclass
class CourseProgress:
    course: CoursePage
    learner: CourseLearner | None
    lessons: list[LessonProgress] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def done(self) -> int:
        return sum(1 for item in self.lessons if item.complete)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.done == self.total

    @property
    def started(self) -> bool:
        return self.learner is not None

    @property
    def next_lesson(self) -> Lesson | None:
        """The lesson to continue: the first one not complete from the last opened one on, else the
        first one not complete, else the last opened one."""
        if not self.lessons:
            return None
        last_id = self.learner.last_lesson_id if self.learner else None
        ids = [item.lesson.pk for item in self.lessons]
        start = ids.index(last_id) if last_id in ids else 0
        for item in self.lessons[start:] + self.lessons[:start]:
            if not item.complete:
                return item.lesson
        return self.lessons[start].lesson

    def item(self, lesson_id: int) -> LessonProgress | None:
        return next((item for item in self.lessons if item.lesson.pk == lesson_id), None)

    def after(self, lesson_id: int) -> Lesson | None:
        ids = [item.lesson.pk for item in self.lessons]
        if lesson_id not in ids or ids.index(lesson_id) + 1 >= len(ids):
            return None
        return self.lessons[ids.index(lesson_id) + 1].lesson


def online_courses() -> QuerySet[CoursePage]:
    """Published courses that have at least one lesson."""
    return CoursePage.objects.live().filter(Exists(Lesson.objects.filter(course_id=OuterRef("pk"))))


def _catalogue_paths(member: Member) -> tuple[str, str, int]:
    """The page paths of the member's township school and of the city school above it, and the depth
    of a city course (two levels under the city school: school → catalogue → course)."""
    township = member.branch.township
    return township.path, township.path[: Page.steplen * (township.depth - 1)], township.depth + 1


def _catalogue_condition(township_path: str, city_path: str, city_course_depth: int) -> Q:
    """Courses of the member's township school and of the city school above it."""
    return Q(path__startswith=township_path) | Q(path__startswith=city_path, depth=city_course_depth)


def courses_open_to(member: Member) -> QuerySet[CoursePage]:
    """Online courses of the member's township and city schools, for them to start."""
    condition = _catalogue_condition(*_catalogue_paths(member))
    return online_courses().filter(condition).order_by("-first_published_at", "pk")


def _pushed(s) -> QuerySet[CoursePage]:
    branches = CoursePage.audience_branches.through.objects.filter(coursepage_id=OuterRef("pk"))
    return (
        online_courses()
        .filter(_catalogue_condition(s.township_path, s.city_path, s.city_course_depth), pushed=True)
        .filter(~Exists(branches) | Exists(branches.filter(branch_id=s.branch)))
        .order_by("path")
    )


# The courses pushed to the member, on every home page: compiled once per process (building this
# query cost 4 ms of CPU, running it 0.3 ms; lms/compiled.py).
_PUSHED = CompiledQuery(
    _pushed,
    Slot("township_path", "QQQQ0774QQQQ0001", startswith=True),
    Slot("city_path", "QQQQ0774", startswith=True),
    Slot("city_course_depth", 774_401),  # in the field's range: the ORM drops an out-of-range term
    Slot("branch", -774_000_402),
)


def pushed_courses(member: Member) -> list[CoursePage]:
    """Online courses pushed to the member: their schools' courses whose audience includes them."""
    township_path, city_path, depth = _catalogue_paths(member)
    courses = _PUSHED.all(
        township_path=township_path, city_path=city_path, city_course_depth=depth, branch=member.branch_id
    )
    return [c for c in courses if not c.audience_categories or member.category in c.audience_categories]


def _completed_video_ids(member: Member, video_ids: set[int]) -> set[int]:
    from lms.learning.selectors import completed_video_ids

    return completed_video_ids(member, video_ids) if video_ids else set()


def _checks_passed(member: Member, lesson_ids: list[int]) -> dict[int, bool | None]:
    from lms.quizzes.selectors import lesson_checks_passed  # quizzes' models point at our lessons

    return lesson_checks_passed(member, lesson_ids) if lesson_ids else {}


def progress_of(
    member: Member, courses: list[CoursePage], learners: dict[int, CourseLearner]
) -> list[CourseProgress]:
    """Progress of the member in these courses (4 queries at most, whatever their number)."""
    if not courses:  # nothing to ask: building the empty queries cost home ~1 ms per visit
        return []
    course_ids = [course.pk for course in courses]
    lessons = list(
        Lesson.objects.filter(course_id__in=course_ids)
        .select_related("video", "document")
        .order_by("sort_order", "pk")
    )
    lesson_ids = [lesson.pk for lesson in lessons]
    recorded = set(
        LessonCompletion.objects.filter(member=member, lesson_id__in=lesson_ids).values_list(
            "lesson_id", flat=True
        )
    )
    video_ids = {lesson.video_id for lesson in lessons if lesson.kind == LessonKind.VIDEO and lesson.video_id}
    watched = _completed_video_ids(member, video_ids)
    checks = _checks_passed(member, lesson_ids)
    by_course: dict[int, list[LessonProgress]] = {pk: [] for pk in course_ids}
    required = {course.pk: course.checks_required for course in courses}
    for lesson in lessons:
        material = lesson.pk in recorded or (lesson.kind == LessonKind.VIDEO and lesson.video_id in watched)
        check = checks.get(lesson.pk)
        complete = material and (check is not False or not required[lesson.course_id])
        by_course[lesson.course_id].append(
            LessonProgress(lesson, lesson.pk in recorded, material, check, complete)
        )
    return [CourseProgress(course, learners.get(course.pk), by_course[course.pk]) for course in courses]


# The member's started courses, on every home page: compiled once per process (building the SQL of a
# page join cost more CPU than running it, lms/compiled.py).
_STARTED = CompiledQuery(
    lambda s: (
        CourseLearner.objects.filter(member_id=s.member, course__live=True)
        .select_related("course")
        .order_by("-last_seen_at", "-started_at")
    ),
    Slot("member", -774_000_301),
)


def member_learning(member: Member) -> list[CourseProgress]:
    """The member's courses — started ones, latest first, then pushed ones not started — with progress."""
    learners = {learner.course_id: learner for learner in _STARTED.all(member=member.pk)}
    courses = [learner.course for learner in learners.values()]
    courses += [course for course in pushed_courses(member) if course.pk not in learners]
    return progress_of(member, courses, learners)


def course_progress(member: Member, course: CoursePage) -> CourseProgress:
    learner = CourseLearner.objects.filter(member=member, course=course).first()
    return progress_of(member, [course], {course.pk: learner} if learner else {})[0]


def to_continue(member: Member | None, limit: int = 3) -> list[CourseProgress]:
    """Courses in progress or pushed and not complete, for the home page."""
    if member is None:
        return []
    return [item for item in member_learning(member) if not item.is_complete and item.total][:limit]


def member_may_take(member: Member, course: CoursePage) -> bool:
    return courses_open_to(member).filter(pk=course.pk).exists()


# --- staff -----------------------------------------------------------------------------------------


def course_learners(course: CoursePage, members: QuerySet[Member]) -> QuerySet[CourseLearner]:
    """Who started the course, among `members` (the staff user's scope), with lessons completed."""
    completions = LessonCompletion.objects.filter(
        member_id=OuterRef("member_id"), lesson__course_id=course.pk
    )
    counted = completions.order_by().values("member_id").annotate(n=Count("pk")).values("n")
    return (
        CourseLearner.objects.filter(course=course, member__in=members)
        .select_related("member__branch__township", "last_lesson")
        .annotate(lessons_done=Coalesce(Subquery(counted), 0))
        .order_by("member__branch__township__path", "member__name", "pk")
    )


def course_completed_count(course: CoursePage, members: QuerySet[Member]) -> int:
    return CourseLearner.objects.filter(course=course, member__in=members, completed_at__isnull=False).count()
