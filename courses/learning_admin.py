"""Staff view of one online course (admin): its learners in the user's scope, lessons done, the course's
funnel (reached, completed and completed in order per lesson: an ECharts chart with its table, and
each video lesson's link to its drop-off curve), and background exports (XLSX or CSV) of the learners
and of the funnel (`courses.learning_exports`).

Who may look: whoever may edit the course page (Wagtail's page permissions scope township staff to
their township's subtree), and they see only learners among the members they manage
(`members_for_user`): a township's staff never see another township's members, even in a city course.
The page reads a fixed number of queries whatever the number of learners (paginated, 100 a page)."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from courses import learning_selectors as selectors
from courses.learning_funnel import course_funnel
from courses.models import CoursePage
from lms.exports.models import ExportFormat, ExportKind
from lms.exports.views import export_started
from lms.people.selectors import members_for_user

PER_PAGE = 100

# ?export=<format>&what=<learners|funnel>: the background exports of lms.courses.learning_exports.
EXPORT_KINDS = {"learners": ExportKind.COURSE_LEARNERS, "funnel": ExportKind.COURSE_FUNNEL}


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
        fmt = request.GET.get("export")
        if fmt in ExportFormat.values:
            # Built by the background worker: the request records the export and opens its page.
            kind = EXPORT_KINDS.get(request.GET.get("what", "learners"))
            if kind is None:
                raise Http404
            return export_started(request, kind=kind, params={"course": self.course.pk}, fmt=fmt)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        funnel = course_funnel(self.course, self.members, self.request.user)
        learner_count = funnel.learners
        learners = selectors.course_learners(self.course, self.members)
        paginator = Paginator(learners, PER_PAGE)
        paginator.count = learner_count  # already counted with the funnel: no second COUNT
        page = paginator.get_page(self.request.GET.get("p"))
        rates = [
            {"lesson": step.lesson, "completed": step.completed, "rate": step.completed_percent}
            for step in funnel.steps
        ]
        context.update(
            course=self.course,
            funnel=funnel,
            chart=funnel.chart(
                {
                    "reached": _("Reached"),
                    "completed": _("Completed"),
                    "in_order": _("Completed in order"),
                    "y": _("Learners"),
                }
            ),
            rates=rates,
            lesson_total=len(rates),
            learner_count=learner_count,
            completed_count=selectors.course_completed_count(self.course, self.members),
            page=page,
            exports={
                f"{what}_{fmt}": "?" + urlencode({"export": fmt, "what": what})
                for what in EXPORT_KINDS
                for fmt in ExportFormat.values
            },
        )
        return context
