"""An online course's figures as background exports (lms/exports), from the course's learners page:
its learners (one row each, with a column per lesson) and its funnel (one row per lesson). The worker
reads as the user who asked, through the page's own check (who may edit the course) and scope
(`members_for_user`), so a township's staff get only their township's learners.

A course pushed to 20,000 members: the learners' ids in one query, then per chunk one query for the
learners with their lessons done and one for their completions (and one progress write)."""

from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses import learning_selectors as selectors
from courses.learning_funnel import course_funnel
from courses.learning_models import Lesson, LessonCompletion
from courses.models import CoursePage
from lms.exports.sources import ExportRefused, ExportSource, int_or_none
from lms.people.selectors import members_for_user

LEARNER_HEADINGS = (
    gettext_lazy("Township school"),
    gettext_lazy("Branch"),
    gettext_lazy("Full name"),
    gettext_lazy("Phone"),
    gettext_lazy("Started"),
    gettext_lazy("Lessons done"),
    gettext_lazy("Lessons"),
    gettext_lazy("Completed"),
)

FUNNEL_HEADINGS = (
    gettext_lazy("No."),
    gettext_lazy("Lesson"),
    gettext_lazy("Kind"),
    gettext_lazy("Reached"),
    gettext_lazy("Reached (%)"),
    gettext_lazy("Completed"),
    gettext_lazy("Completion rate (%)"),
    gettext_lazy("Completed in order"),
    gettext_lazy("Completed in order (%)"),
)


def staff_course(user, course_id: int | None) -> CoursePage | None:
    """The course if the user may edit its page (Wagtail's page permissions: a township's staff only
    their township's subtree), else None."""
    if course_id is None or not user.is_authenticated:
        return None
    course = CoursePage.objects.filter(pk=course_id).first()
    if course is None or not course.permissions_for_user(user).can_edit():
        return None
    return course


def local_minute(moment) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


class _CourseExport(ExportSource):
    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        course = int_or_none(params.get("course"))
        if course is None:
            raise ValueError("a course export needs its course")
        return {"course": course}

    def course(self) -> CoursePage | None:
        if not hasattr(self, "_course"):
            self._course = staff_course(self.user, self.params["course"])
        return self._course

    def allowed(self) -> bool:
        return self.course() is not None

    def _course_or_refuse(self) -> CoursePage:
        course = self.course()
        if course is None:
            raise ExportRefused(_("You may no longer see what this export holds."))
        return course


class CourseLearnersExport(_CourseExport):
    def filename(self) -> str:
        return f"course-{self.params['course']}-learners"

    def sheet_title(self) -> str:
        return _("Learners")

    def lessons(self) -> list[Lesson]:
        if not hasattr(self, "_lessons"):
            course = self._course_or_refuse()
            self._lessons = list(Lesson.objects.filter(course=course).order_by("sort_order", "pk"))
        return self._lessons

    def headings(self):
        lessons = [f"{index}. {lesson.title}" for index, lesson in enumerate(self.lessons(), start=1)]
        return [str(heading) for heading in LEARNER_HEADINGS] + lessons

    def open(self):
        course = self._course_or_refuse()
        lessons = self.lessons()
        learners = selectors.course_learners(course, members_for_user(self.user))
        ids = list(learners.values_list("pk", flat=True))
        chunk = settings.EXPORTS_CHUNK_ROWS
        done_mark = _("Yes")

        def rows():
            for start in range(0, len(ids), chunk):
                part = list(learners.filter(pk__in=ids[start : start + chunk]))
                done = set(
                    LessonCompletion.objects.filter(
                        lesson__course=course, member_id__in=[learner.member_id for learner in part]
                    ).values_list("member_id", "lesson_id")
                )
                for learner in part:
                    member = learner.member
                    yield [
                        member.branch.township.title,
                        member.branch.name,
                        member.name,
                        member.phone,
                        local_minute(learner.started_at),
                        learner.lessons_done,
                        len(lessons),
                        local_minute(learner.completed_at),
                    ] + [done_mark if (member.pk, lesson.pk) in done else "" for lesson in lessons]

        return len(ids), rows()


class CourseFunnelExport(_CourseExport):
    """The funnel's table (a row per lesson: a course has tens of lessons at most)."""

    def filename(self) -> str:
        return f"course-{self.params['course']}-funnel"

    def sheet_title(self) -> str:
        return _("Lesson by lesson")

    def headings(self):
        return [str(heading) for heading in FUNNEL_HEADINGS]

    def open(self):
        course = self._course_or_refuse()
        funnel = course_funnel(course, members_for_user(self.user))
        rows = [
            [
                step.position,
                step.lesson.title,
                str(step.lesson.get_kind_display()),
                step.reached,
                step.reached_percent,
                step.completed,
                step.completed_percent,
                step.in_order,
                step.in_order_percent,
            ]
            for step in funnel.steps
        ]
        return len(rows), rows
