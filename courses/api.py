"""API: the signed-in member's online courses (我的学习) with progress and the lesson to continue."""

from datetime import datetime

from django.urls import reverse
from ninja import Router, Schema

from courses import learning_selectors as selectors
from lms.people.selectors import member_profile

router = Router(tags=["learning"])


class LessonOut(Schema):
    id: int
    title: str
    kind: str
    video_id: int | None
    complete: bool
    check_passed: bool | None
    url: str


class CourseOut(Schema):
    id: int
    title: str
    summary: str
    pushed: bool
    started: bool
    started_at: datetime | None
    completed_at: datetime | None
    lessons_done: int
    lessons_total: int
    percent: int
    continue_lesson_id: int | None
    continue_url: str | None
    lessons: list[LessonOut]


def _course_payload(item: selectors.CourseProgress) -> dict:
    course, learner, following = item.course, item.learner, item.next_lesson
    return {
        "id": course.pk,
        "title": course.title,
        "summary": course.summary,
        "pushed": course.pushed,
        "started": learner is not None,
        "started_at": learner.started_at if learner else None,
        "completed_at": learner.completed_at if learner else None,
        "lessons_done": item.done,
        "lessons_total": item.total,
        "percent": item.percent,
        "continue_lesson_id": following.pk if following else None,
        "continue_url": reverse("course_learning:lesson", args=[course.pk, following.pk])
        if following
        else None,
        "lessons": [
            {
                "id": lesson.lesson.pk,
                "title": lesson.lesson.title,
                "kind": lesson.lesson.kind,
                "video_id": lesson.lesson.video_id,
                "complete": lesson.complete,
                "check_passed": lesson.check_passed,
                "url": reverse("course_learning:lesson", args=[course.pk, lesson.lesson.pk]),
            }
            for lesson in item.lessons
        ],
    }


@router.get("/me/courses", response={200: list[CourseOut]}, summary="My online courses and their progress")
def my_courses(request):
    """The member's courses — started ones (latest first), then those pushed to them — with the
    progress of each lesson and the lesson to continue. Empty for a user who is not a member."""
    member = member_profile(request.user)
    if member is None:
        return []
    return [_course_payload(item) for item in selectors.member_learning(member)]
