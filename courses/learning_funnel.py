"""A course's funnel (staff): how far its learners got, lesson by lesson, among the members the staff
user manages.

For each lesson, in the course's order:
- **reached**: learners who got to this lesson or further: they opened, watched or completed it or a
  later one (a learner who started the course has reached its first lesson);
- **completed**: learners who completed this lesson (a `LessonCompletion`, in any order);
- **completed in order**: learners who completed this lesson and every one before it: the funnel
  proper, which can only fall from one lesson to the next.

Four queries whatever the number of learners or lessons (and the user's roles and scope, read by
`members_for_user` and `videos_for_staff`): the lessons; the learners grouped in the database by how
far they got and how many lessons they completed in a row (at most (lessons + 1)² rows, however many
learners); completions per lesson; the course's videos the user manages (for the per-video drop-off
curve's link). Lessons are placed by their order (`sort_order`, which the editor's inline panel
numbers 0, 1, 2, …)."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse

from courses.learning_models import CourseLearner, Lesson, LessonCompletion
from courses.models import CoursePage
from lms.people.models import Member


@dataclass
class FunnelStep:
    position: int  # 1, 2, … in the course's order
    lesson: Lesson
    reached: int
    completed: int
    in_order: int
    learners: int
    curve_url: str = ""  # the video's drop-off curve, when the user manages the video

    def _percent(self, count: int) -> int:
        return round(100 * count / self.learners) if self.learners else 0

    @property
    def reached_percent(self) -> int:
        return self._percent(self.reached)

    @property
    def completed_percent(self) -> int:
        return self._percent(self.completed)

    @property
    def in_order_percent(self) -> int:
        return self._percent(self.in_order)


@dataclass
class CourseFunnel:
    learners: int
    steps: list[FunnelStep]

    def chart(self, names: dict[str, str]) -> dict:
        """What the ECharts script draws (`courses/static/courses/funnel.js`)."""
        return {
            "x": [f"{step.position}. {step.lesson.title}" for step in self.steps],
            "series": [
                {"name": names["reached"], "data": [step.reached for step in self.steps]},
                {"name": names["completed"], "data": [step.completed for step in self.steps]},
                {"name": names["in_order"], "data": [step.in_order for step in self.steps]},
            ],
            "y_name": names["y"],
        }


def course_funnel(course: CoursePage, members: QuerySet[Member], user=None) -> CourseFunnel:
    """The funnel of `course` among `members` (the staff user's scope). With `user`, video lessons whose
    video the user manages link to that video's drop-off curve."""
    from lms.learning.models import WatchProgress  # learning's models point at vod, not at courses
    from lms.vod.selectors import videos_for_staff

    lessons = list(Lesson.objects.filter(course=course).order_by("sort_order", "pk"))
    first_at: dict[int | None, int] = {}  # sort_order → the first / last lesson index with it
    last_at: dict[int | None, int] = {}
    for index, lesson in enumerate(lessons):
        first_at.setdefault(lesson.sort_order, index)
        last_at[lesson.sort_order] = index

    learners = CourseLearner.objects.filter(course=course, member__in=members.order_by().values("pk"))
    course_lessons = Lesson.objects.filter(course_id=course.pk, sort_order__isnull=False)
    completed_by_learner = LessonCompletion.objects.filter(
        member_id=OuterRef(OuterRef("member_id")), lesson_id=OuterRef("pk")
    )
    watched_by_learner = WatchProgress.objects.filter(
        member_id=OuterRef(OuterRef("member_id")), video_id=OuterRef("video_id"), watched_seconds__gt=0
    )

    def latest(condition):
        return Subquery(course_lessons.filter(condition).order_by("-sort_order").values("sort_order")[:1])

    # Per learner: the furthest lesson (by its order) opened last, completed or watched; and the first
    # lesson not completed (none: all completed). Grouped by both in the database, so the answer has
    # at most (lessons + 1)² rows whatever the number of learners.
    grouped = (
        learners.annotate(
            furthest=Greatest(
                Coalesce("last_lesson__sort_order", Value(-1)),
                Coalesce(latest(Exists(completed_by_learner)), Value(-1)),
                Coalesce(latest(Exists(watched_by_learner)), Value(-1)),
            ),
            first_missing=Subquery(
                course_lessons.filter(~Exists(completed_by_learner))
                .order_by("sort_order")
                .values("sort_order")[:1]
            ),
        )
        .order_by()
        .values("furthest", "first_missing")
        .annotate(learners=Count("pk"))
    )
    reached_at = [0] * (len(lessons) + 1)  # how many learners got exactly this far
    in_order_at = [0] * (len(lessons) + 1)  # how many completed exactly this many in a row
    total = 0
    for row in grouped:
        total += row["learners"]
        reached_at[last_at.get(row["furthest"], 0)] += row["learners"]
        run = len(lessons) if row["first_missing"] is None else first_at.get(row["first_missing"], 0)
        in_order_at[run] += row["learners"]

    completed = dict(
        LessonCompletion.objects.filter(
            lesson__course_id=course.pk, member_id__in=learners.values("member_id")
        )
        .order_by()
        .values("lesson_id")
        .annotate(n=Count("pk"))
        .values_list("lesson_id", "n")
    )
    managed = (
        set(
            videos_for_staff(user)
            .filter(lessons__course=course)
            .order_by()
            .values_list("pk", flat=True)
            .distinct()
        )
        if user is not None
        else set()
    )

    steps = []
    reached_from = total
    in_order_from = total
    for index, lesson in enumerate(lessons):
        in_order_from -= in_order_at[index]  # those whose run stops before this lesson
        steps.append(
            FunnelStep(
                position=index + 1,
                lesson=lesson,
                reached=reached_from,
                completed=completed.get(lesson.pk, 0),
                in_order=in_order_from,
                learners=total,
                curve_url=reverse("learning_admin:video", args=[lesson.video_id])
                if lesson.video_id in managed
                else "",
            )
        )
        reached_from -= reached_at[index]  # those who got no further than this lesson
    return CourseFunnel(learners=total, steps=steps)
