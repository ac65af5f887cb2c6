"""A course's funnel (staff): how far its learners got, lesson by lesson, among the members the staff
user manages.

For each lesson, in the course's order:
- **reached**: learners who got to this lesson or further: they opened, watched or completed it or a
  later one (a learner who started the course has reached its first lesson);
- **completed**: learners who completed this lesson (a `LessonCompletion`, in any order);
- **completed in order**: learners who completed this lesson and every one before it: the funnel
  proper, which can only fall from one lesson to the next.

Five queries whatever the number of learners or lessons (and the user's roles and scope, read by
`members_for_user` and `videos_for_staff`): the lessons; the learners with the lesson they opened
last; their completions; the course's videos they watched; the course's videos the user manages (for
the per-video drop-off curve's link). The per-learner work is done in Python over
(member, lesson) pairs streamed from the database."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from courses.learning_models import CourseLearner, Lesson, LessonCompletion
from courses.models import CoursePage
from lms.people.models import Member

STREAM_CHUNK = 5000


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
    position = {lesson.pk: index for index, lesson in enumerate(lessons)}
    video_positions: dict[int, list[int]] = {}
    for index, lesson in enumerate(lessons):
        if lesson.video_id:
            video_positions.setdefault(lesson.video_id, []).append(index)

    learners = CourseLearner.objects.filter(course=course, member__in=members.order_by().values("pk"))
    furthest: dict[int, int] = {}  # member id → furthest lesson index reached
    for member_id, last_lesson_id in learners.values_list("member_id", "last_lesson_id").iterator(
        chunk_size=STREAM_CHUNK
    ):
        furthest[member_id] = position.get(last_lesson_id, 0)
    learner_ids = learners.order_by().values("member_id")

    done: dict[int, set[int]] = {}
    completed = [0] * len(lessons)
    pairs = LessonCompletion.objects.filter(lesson__course=course, member_id__in=learner_ids)
    for member_id, lesson_id in pairs.values_list("member_id", "lesson_id").iterator(chunk_size=STREAM_CHUNK):
        index = position.get(lesson_id)
        if index is None or member_id not in furthest:
            continue
        done.setdefault(member_id, set()).add(index)
        completed[index] += 1
        furthest[member_id] = max(furthest[member_id], index)

    # Both by a join on the course's lessons, so their number is the same with or without videos.
    watched = (
        WatchProgress.objects.filter(
            video__lessons__course=course, member_id__in=learner_ids, watched_seconds__gt=0
        )
        .order_by()
        .values_list("member_id", "video_id")
        .distinct()
    )
    for member_id, video_id in watched.iterator(chunk_size=STREAM_CHUNK):
        if member_id in furthest and video_id in video_positions:
            furthest[member_id] = max(furthest[member_id], max(video_positions[video_id]))
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

    reached_at = [0] * (len(lessons) + 1)  # how many learners got exactly this far
    for index in furthest.values():
        reached_at[index] += 1
    in_order_at = [0] * (len(lessons) + 1)  # how many learners completed exactly this many in a row
    for member_id in furthest:
        indices = done.get(member_id, set())
        run = 0
        while run in indices:
            run += 1
        in_order_at[run] += 1

    total = len(furthest)
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
                completed=completed[index],
                in_order=in_order_from,
                learners=total,
                curve_url=reverse("learning_admin:video", args=[lesson.video_id])
                if lesson.video_id in managed
                else "",
            )
        )
        reached_from -= reached_at[index]  # those who got no further than this lesson
    return CourseFunnel(learners=total, steps=steps)
