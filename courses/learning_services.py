"""Writes about online courses: a member starts a course, opens a lesson, completes one.

Each record exists at most once (unique constraints); two requests at once (two tabs, a double tap)
insert once and the other finds the row (`get_or_create` catches the constraint's IntegrityError)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import learning_selectors as selectors
from courses.learning_models import CompletionWay, CourseLearner, Lesson, LessonCompletion, LessonKind
from courses.models import CoursePage
from lms.people.models import Member

WAY_FOR_KIND = {
    LessonKind.VIDEO: CompletionWay.VIDEO,
    LessonKind.DOCUMENT: CompletionWay.OPENED,
    LessonKind.TEXT: CompletionWay.READ,
}


def _check_may_take(member: Member, course: CoursePage) -> None:
    if member is None:
        raise PermissionDenied(_("Only party members can take online courses."))
    if not selectors.member_may_take(member, course):
        raise PermissionDenied(_("This course is not open to you."))


def course_start(*, member: Member, course: CoursePage) -> tuple[CourseLearner, bool]:
    """The member starts the course (again: nothing changes). Returns the learner row and whether it
    is new."""
    _check_may_take(member, course)
    return CourseLearner.objects.get_or_create(member=member, course=course)


@transaction.atomic
def lesson_open(*, member: Member, lesson: Lesson) -> CourseLearner:
    """The member opens a lesson: the course is started if it was not, and this lesson is the one to
    continue."""
    learner, _created = course_start(member=member, course=lesson.course)
    now = timezone.now()
    CourseLearner.objects.filter(pk=learner.pk).update(last_lesson=lesson, last_seen_at=now)
    learner.last_lesson, learner.last_seen_at = lesson, now
    return learner


def lesson_complete(*, member: Member, lesson: Lesson, way: str) -> tuple[LessonCompletion, bool]:
    """Record that the member completed the lesson's material, once. The way must fit the lesson:
    a text is marked read, a document opened, a video watched."""
    if WAY_FOR_KIND[LessonKind(lesson.kind)] != way:
        raise ValidationError(_("This lesson is not completed that way."), code="wrong_way")
    _check_may_take(member, lesson.course)
    with transaction.atomic():
        CourseLearner.objects.get_or_create(member=member, course=lesson.course)
        completion, created = LessonCompletion.objects.get_or_create(
            member=member, lesson=lesson, defaults={"way": way}
        )
    if created:
        course_completion_update(member=member, course=lesson.course)
    return completion, created


def video_completions_record(*, member: Member, progress: selectors.CourseProgress) -> int:
    """Write the rows of video lessons that lms.learning says are watched but have none yet (so staff
    reports count them). Returns how many were new."""
    missing = [
        LessonCompletion(member=member, lesson=item.lesson, way=CompletionWay.VIDEO)
        for item in progress.lessons
        if item.material_done and item.lesson.kind == LessonKind.VIDEO and not item.recorded
    ]
    if not missing:
        return 0
    LessonCompletion.objects.bulk_create(missing, ignore_conflicts=True)
    course_completion_update(member=member, course=progress.course)
    return len(missing)


def course_completion_update(*, member: Member, course: CoursePage) -> bool:
    """Stamp the course complete for the member when every lesson is (once; never un-stamped)."""
    progress = selectors.course_progress(member, course)
    if not progress.is_complete:
        return False
    updated = CourseLearner.objects.filter(member=member, course=course, completed_at__isnull=True).update(
        completed_at=timezone.now()
    )
    return bool(updated)
