"""Staff view of one online course (admin): its learners in the user's scope, lessons done, completion
rate per lesson, and an XLSX of the learners.

Who may look: whoever may edit the course page (Wagtail's page permissions scope township staff to
their township's subtree), and they see only learners among the members they manage
(`members_for_user`): a township's staff never see another township's members, even in a city course.
The page reads a fixed number of queries whatever the number of learners (paginated, 100 a page)."""

import tempfile

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from courses import learning_selectors as selectors
from courses.models import CoursePage
from lms.exports.sources import EXPORT_LANGUAGE
from lms.exports.writers import XLSX_TYPE, XlsxSheet
from lms.people.selectors import members_for_user

PER_PAGE = 100
XLSX_CHUNK = 2000


def course_for_staff(user, course_id: int) -> CoursePage:
    course = get_object_or_404(CoursePage, pk=course_id)
    if not course.permissions_for_user(user).can_edit():
        raise Http404
    return course


class CourseLearnersView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "courses/admin/course_learners.html"
    header_icon = "group"

    def dispatch(self, request, *args, **kwargs):
        self.course = course_for_staff(request.user, kwargs["course_id"])
        self.members = members_for_user(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Learners: %(course)s") % {"course": self.course.title}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("wagtailadmin_pages:edit", args=[self.course.pk]), "label": self.course.title},
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return self.xlsx()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rates, learner_count = selectors.lesson_completion_rates(self.course, self.members)
        learners = selectors.course_learners(self.course, self.members)
        paginator = Paginator(learners, PER_PAGE)
        paginator.count = learner_count  # already counted with the rates: no second COUNT
        page = paginator.get_page(self.request.GET.get("p"))
        context.update(
            course=self.course,
            rates=rates,
            lesson_total=len(rates),
            learner_count=learner_count,
            completed_count=selectors.course_completed_count(self.course, self.members),
            page=page,
            export_xlsx="?export=xlsx",
        )
        return context

    def xlsx(self):
        lesson_total = len(selectors.lesson_completion_rates(self.course, self.members)[0])
        output = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        with translation.override(EXPORT_LANGUAGE):
            sheet = XlsxSheet(output, _("Learners"), [str(h) for h in HEADINGS])
            learners = selectors.course_learners(self.course, self.members)
            for learner in learners.iterator(chunk_size=XLSX_CHUNK):
                member = learner.member
                sheet.append(
                    [
                        member.branch.township.title,
                        member.branch.name,
                        member.name,
                        member.phone,
                        learner.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                        learner.lessons_done,
                        lesson_total,
                        learner.completed_at.astimezone().strftime("%Y-%m-%d %H:%M")
                        if learner.completed_at
                        else "",
                    ]
                )
            sheet.close()
        output.seek(0)
        return FileResponse(
            output,
            as_attachment=True,
            filename=f"course-{self.course.pk}-learners.xlsx",
            content_type=XLSX_TYPE,
        )


HEADINGS = (
    gettext_lazy("Township school"),
    gettext_lazy("Branch"),
    gettext_lazy("Full name"),
    gettext_lazy("Phone"),
    gettext_lazy("Started"),
    gettext_lazy("Lessons done"),
    gettext_lazy("Lessons"),
    gettext_lazy("Completed"),
)
