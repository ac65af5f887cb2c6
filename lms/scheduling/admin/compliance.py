"""5+1+N compliance overview: drafts and non-compliant classes, township by township, each with
what it lacks in words. For the organization department and the city school's staff.

Bounded: the classes not over yet by default, or those starting in a chosen year, 50 to a page,
chosen by the stored 5+1+N flag (drafts and classes flagged as breaking it). The violations of the
page's classes are computed from prefetched sessions, and the teaching points' schools are fetched in
one go beforehand, so the page costs the same few queries however many classes and years there are.
"""

from itertools import groupby

from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from lms.people import selectors as people_selectors
from lms.people.roles import Role
from lms.scheduling import rules, selectors


def may_oversee(user) -> bool:
    return people_selectors.is_org_dept(user) or people_selectors.user_has_role(user, Role.CITY_STAFF)


CURRENT = "current"
PER_PAGE = 50
FIRST_YEAR = 2000


def chosen_period(request) -> int | None:
    """`?year=` as a year (a class starting in it), else None: the classes not over yet."""
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", CURRENT))
    except (TypeError, ValueError):
        return None
    return year if FIRST_YEAR <= year <= this_year + 1 else None


class ComplianceOverviewView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "scheduling/admin/compliance.html"
    page_title = gettext_lazy("5+1+N compliance")
    header_icon = "warning"
    edit_url_name = ""

    def dispatch(self, request, *args, **kwargs):
        if not may_oversee(request.user):
            context = {"page_title": self.page_title}
            return TemplateResponse(request, "scheduling/admin/forbidden.html", context, status=403)
        self.year = chosen_period(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def classes(self):
        if self.year is None:
            return selectors.classes_needing_attention(self.request.user, ending_from=timezone.localdate())
        return selectors.classes_needing_attention(self.request.user, year=self.year)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(self.classes(), PER_PAGE).get_page(self.request.GET.get("p"))
        classes = list(page.object_list.prefetch_related(selectors.sessions_prefetch()))
        point_schools = rules.point_schools(
            [s.teaching_point for c in classes for s in c.sessions.all() if s.teaching_point_id]
        )
        # The stored flag chose the classes; the words come from the rules, for this page's classes
        # only (a teacher may have left the pool since a draft was saved).
        rows = [
            {
                "training_class": training_class,
                "edit_url": reverse(self.edit_url_name, args=[training_class.pk]),
                "violations": rules.class_violations(
                    training_class, list(training_class.sessions.all()), schools=point_schools
                ),
            }
            for training_class in classes
        ]
        # Ordered by the school's tree path, so each school's classes are together.
        schools = [
            {"school": school_rows[0]["training_class"].school, "rows": school_rows}
            for _school_id, group in groupby(rows, key=lambda row: row["training_class"].school_id)
            for school_rows in [list(group)]
        ]
        for school in schools:
            school["non_compliant"] = sum(1 for row in school["rows"] if row["violations"])
        this_year = timezone.localdate().year
        context.update(
            schools=schools,
            total=page.paginator.count,
            page=page,
            year=self.year,
            years=list(range(this_year + 1, this_year - 10, -1)),
            query=urlencode({"year": self.year or CURRENT}),
        )
        return context


class ComplianceOverviewViewSet(ViewSet):
    name = "scheduling_compliance"
    url_prefix = "scheduling/compliance"
    icon = "warning"
    menu_label = gettext_lazy("5+1+N compliance")
    edit_url_name = "scheduling_classes:edit"

    @cached_property
    def menu_item_class(self):
        def is_shown(_item, request):
            return may_oversee(request.user)

        return type("ComplianceOverviewMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        view = ComplianceOverviewView.as_view(edit_url_name=self.edit_url_name)
        return [path("", view, name="index")]
