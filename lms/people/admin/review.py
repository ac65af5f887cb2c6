"""师资库年度审核: the organization department's yearly review of the teacher pool.

For a year, every teacher in the pool that year or the year before gets a decision (kept, retired,
added) and a note, recorded by `services.teacher_review_record`; a new teacher can join the pool in
the same screen. The reviews recorded so far are listed by `TeacherReviewViewSet` (read-only).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, UserColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet

from lms.exports.admin_lists import FormulaSafeExportMixin
from lms.people import selectors, services
from lms.people.admin.forms import NewPoolTeacherForm, TeacherReviewFormSet, add_service_errors
from lms.people.models import TeacherReview

FIRST_YEAR, LAST_YEAR = 2000, 2100


def forbidden(request, title: str) -> TemplateResponse:
    return TemplateResponse(request, "people/admin/forbidden.html", {"page_title": title}, status=403)


class TeacherPoolReviewView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "people/admin/teacher_pool_review.html"
    page_title = gettext_lazy("Teacher pool yearly review")
    header_icon = "tasks"
    review_url_name = None
    history_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not selectors.is_org_dept(request.user):
            return forbidden(request, self.page_title)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def year(self) -> int:
        try:
            year = int(self.request.GET.get("year", ""))
        except ValueError:
            year = 0
        return year if FIRST_YEAR <= year <= LAST_YEAR else timezone.localdate().year

    @cached_property
    def teachers(self):
        return list(selectors.teachers_for_review(year=self.year))

    def review_url(self, year: int) -> str:
        return f"{reverse(self.review_url_name)}?year={year}"

    def get_formset(self, data=None):
        initial = []
        for teacher in self.teachers:
            review = teacher.reviews_that_year[0] if teacher.reviews_that_year else None
            initial.append(
                {
                    "teacher": teacher.pk,
                    "decision": review.decision if review else "",
                    "note": review.note if review else "",
                }
            )
        return TeacherReviewFormSet(
            data,
            initial=initial,
            prefix="review",
            form_kwargs={"teacher_ids": [teacher.pk for teacher in self.teachers]},
        )

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, *, formset=None, new_teacher_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        formset = formset or self.get_formset()
        context.update(
            year=self.year,
            previous_year_url=self.review_url(self.year - 1) if self.year > FIRST_YEAR else "",
            next_year_url=self.review_url(self.year + 1) if self.year < LAST_YEAR else "",
            action_url=self.review_url(self.year),
            history_url=f"{reverse(self.history_url_name)}?year={self.year}",
            formset=formset,
            rows=list(zip(self.teachers, formset.forms, strict=True)),
            new_teacher_form=new_teacher_form or NewPoolTeacherForm(prefix="new"),
        )
        return context

    def post(self, request, *args, **kwargs):
        if "add-teacher" in request.POST:
            return self.post_new_teacher()
        return self.post_reviews()

    def post_reviews(self):
        formset = self.get_formset(self.request.POST)
        if formset.total_form_count() != len(self.teachers):
            # The pool changed since the form was shown: start again from the current pool.
            messages.error(self.request, _("The teacher pool changed meanwhile; please review again."))
            return redirect(self.review_url(self.year))
        if formset.is_valid() and self.record_reviews(formset):
            messages.success(self.request, _("The review of %(year)s is saved.") % {"year": self.year})
            return redirect(self.review_url(self.year))
        messages.error(self.request, _("The review could not be saved due to errors."))
        return self.render_to_response(self.get_context_data(formset=formset))

    def record_reviews(self, formset) -> bool:
        """Record every changed line; all or nothing."""
        teachers = {teacher.pk: teacher for teacher in self.teachers}
        ok = True
        with transaction.atomic():
            for form in formset.forms:
                if not form.has_changed():
                    continue
                data = form.cleaned_data
                try:
                    services.teacher_review_record(
                        teacher=teachers[data["teacher"]],
                        year=self.year,
                        decision=data["decision"],
                        note=data["note"],
                        actor=self.request.user,
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                    ok = False
            if not ok:
                transaction.set_rollback(True)
        return ok

    def post_new_teacher(self):
        form = NewPoolTeacherForm(self.request.POST, prefix="new")
        if form.is_valid():
            try:
                review = services.teacher_add_to_pool(
                    **form.cleaned_data, year=self.year, actor=self.request.user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    self.request,
                    _("%(name)s joined the teacher pool in %(year)s.")
                    % {"name": review.teacher.name, "year": self.year},
                )
                return redirect(self.review_url(self.year))
        messages.error(self.request, _("The teacher could not be added due to errors."))
        return self.render_to_response(self.get_context_data(new_teacher_form=form))


class TeacherPoolReviewViewSet(ViewSet):
    name = "people_teacher_pool_review"
    url_prefix = "people/teacher-pool-review"
    icon = "tasks"
    menu_label = gettext_lazy("Teacher pool yearly review")
    history_url_name = "people_teacher_reviews:index"

    @cached_property
    def menu_item_class(self):
        def is_shown(_item, request):
            return selectors.is_org_dept(request.user)

        return type("TeacherPoolReviewMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        view = TeacherPoolReviewView.as_view(
            review_url_name=self.get_url_name("index"), history_url_name=self.history_url_name
        )
        return [path("", view, name="index")]


class TeacherReviewIndexView(FormulaSafeExportMixin, IndexView):
    """The reviews recorded so far; they change only through the yearly review."""

    def get_base_queryset(self):
        return TeacherReview.objects.select_related("teacher", "decided_by")

    def get_add_url(self):
        return None

    def get_edit_url(self, instance):
        return None

    def get_copy_url(self, instance):
        return None

    def get_delete_url(self, instance):
        return None


class TeacherReviewViewSet(ModelViewSet):
    """Read-only history of the yearly reviews (organization department only, by model permissions)."""

    model = TeacherReview
    name = "people_teacher_reviews"
    url_prefix = "people/teacher-reviews"
    icon = "history"
    menu_label = gettext_lazy("Teacher pool review history")
    index_view_class = TeacherReviewIndexView
    copy_view_enabled = False
    add_to_reference_index = False
    list_display = [
        "teacher",
        "year",
        Column(
            "decision", label=gettext_lazy("Decision"), accessor="get_decision_display", sort_key="decision"
        ),
        "note",
        UserColumn("decided_by", label=gettext_lazy("Decided by")),
        DateColumn("decided_at", label=gettext_lazy("Decided at"), sort_key="decided_at"),
    ]
    list_filter = ["year", "decision", "teacher__category"]
    search_fields = ["teacher__name", "note"]
    list_export = ["teacher", "year", "get_decision_display", "note", "decided_by", "decided_at"]
    export_headings = {"get_decision_display": gettext_lazy("Decision")}

    def register_admin_url_finder(self):
        # There is no edit view to point to.
        pass

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
