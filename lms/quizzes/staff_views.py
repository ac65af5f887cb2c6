"""Staff pages in the Wagtail admin (the 测验与考试 menu): papers (create, add questions or draws,
publish), the question bank and its XLSX import, and each paper's statistics (page and XLSX).
Everything is scoped: township staff see their township's bank and papers and the county bank."""

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from lms.exports.writers import formula_safe
from lms.people.selectors import is_org_dept, is_staff_user, staff_scope_paths, townships_managed_by
from lms.quizzes import importing, selectors, services, statistics
from lms.quizzes.models import QUESTION_TYPES, Category, Paper, PaperPart


def _schools(user):
    """Schools whose papers and banks the user keeps."""
    from django.db.models import Q

    from courses.models import CitySchoolPage, TownshipSchoolPage

    pages = Page.objects.type(CitySchoolPage, TownshipSchoolPage)
    if is_org_dept(user):
        return pages.order_by("path")
    condition = Q(pk__in=[])
    for path in staff_scope_paths(user):
        condition |= Q(path__startswith=path)
    return pages.filter(condition).order_by("path")


class StaffView(WagtailAdminTemplateMixin, TemplateView):
    def dispatch(self, request, *args, **kwargs):
        if not is_staff_user(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [{"url": reverse("quizzes_admin:papers"), "label": _("Quizzes and exams")}]


class PaperForm(forms.ModelForm):
    class Meta:
        model = Paper
        fields = [
            "title",
            "kind",
            "school",
            "session",
            "townships",
            "teachers",
            "layout",
            "shuffle_questions",
            "shuffle_options",
            "pass_percent",
            "time_limit_minutes",
            "opens_at",
            "closes_at",
            "attempts_allowed",
            "review",
            "second_marker",
        ]
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from lms.people.models import Teacher
        from lms.scheduling.models import Session

        self.fields["school"].queryset = _schools(user)
        self.fields["townships"].queryset = townships_managed_by(user)
        self.fields["teachers"].queryset = Teacher.objects.filter(user__isnull=False)
        self.fields["session"].queryset = Session.objects.filter(
            training_class__school__in=_schools(user)
        ).select_related("training_class")


class PartForm(forms.ModelForm):
    class Meta:
        model = PaperPart
        fields = ["question", "category", "question_type", "difficulty", "count", "points"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = selectors.questions_for_staff(user).filter(is_current=True)
        self.fields["question"].widget = forms.NumberInput()
        self.fields["question"].help_text = _(
            "The number of a question of the bank (or leave empty and draw)."
        )


class PaperList(StaffView):
    template_name = "quizzes/admin/papers.html"
    page_title = gettext_lazy("Quizzes and exams")
    header_icon = "doc-full"

    def get_breadcrumbs_items(self):
        return []

    def get_context_data(self, **kwargs):
        papers = selectors.papers_for_staff(self.request.user).order_by("-created_at", "-id")
        page = Paginator(papers, 50).get_page(self.request.GET.get("page"))
        org_dept = is_org_dept(self.request.user)
        return {**super().get_context_data(**kwargs), "page": page, "org_dept": org_dept}


class PaperEdit(StaffView):
    template_name = "quizzes/admin/paper_form.html"
    page_title = gettext_lazy("Paper")

    def paper(self):
        if "paper_id" not in self.kwargs:
            return None
        paper = selectors.papers_for_staff(self.request.user).filter(pk=self.kwargs["paper_id"]).first()
        if paper is None:
            raise Http404
        return paper

    def get_context_data(self, **kwargs):
        paper = self.paper()
        return {
            **super().get_context_data(**kwargs),
            "paper": paper,
            "form": kwargs.get("form") or PaperForm(instance=paper, user=self.request.user),
            "part_form": kwargs.get("part_form") or PartForm(user=self.request.user),
            "parts": list(paper.parts.select_related("question", "category")) if paper else [],
        }

    def post(self, request, *args, **kwargs):
        paper = self.paper()
        action = request.POST.get("action")
        try:
            if action == "publish" and paper:
                services.paper_publish(user=request.user, paper=paper)
                messages.success(request, _("Paper published."))
                return redirect("quizzes_admin:paper", paper_id=paper.pk)
            if action == "part" and paper:
                part_form = PartForm(request.POST, user=request.user, instance=PaperPart(paper=paper))
                if part_form.is_valid():
                    part_form.instance.position = paper.parts.count() + 1
                    part_form.save()
                    return redirect("quizzes_admin:paper", paper_id=paper.pk)
                return self.render_to_response(self.get_context_data(part_form=part_form))
            if action == "remove_part" and paper:
                paper.parts.filter(pk=request.POST.get("part")).delete()
                return redirect("quizzes_admin:paper", paper_id=paper.pk)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return redirect("quizzes_admin:paper", paper_id=paper.pk)
        form = PaperForm(request.POST, instance=paper, user=request.user)
        if form.is_valid():
            if paper is None:
                form.instance.created_by = request.user
            saved = form.save()
            return redirect("quizzes_admin:paper", paper_id=saved.pk)
        return self.render_to_response(self.get_context_data(form=form))


class BankList(StaffView):
    template_name = "quizzes/admin/bank.html"
    page_title = gettext_lazy("Question bank")

    def get_context_data(self, **kwargs):
        questions = selectors.questions_for_staff(self.request.user).filter(is_current=True)
        category = self.request.GET.get("category", "")
        if category.isdigit():
            questions = questions.filter(category_id=int(category))
        kind = self.request.GET.get("type", "")
        if kind in QUESTION_TYPES:
            questions = questions.instance_of(QUESTION_TYPES[kind])
        page = Paginator(questions.non_polymorphic().order_by("category", "id"), 50).get_page(
            self.request.GET.get("page")
        )
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            # The questions of the page the user may edit (township staff read the county bank only).
            "editable": {q.pk for q in page if selectors.can_edit_bank(user, q.school)},
            "categories": Category.objects.all(),
            "types": [(code, cls.type_label) for code, cls in QUESTION_TYPES.items()],
            "category": category,
            "type": kind,
        }


class BankImport(StaffView):
    template_name = "quizzes/admin/import.html"
    page_title = gettext_lazy("Import questions")

    def get_context_data(self, **kwargs):
        banks = [("", _("County bank"))] if selectors.can_edit_bank(self.request.user, None) else []
        banks += [
            (str(s.pk), s.title) for s in _schools(self.request.user) if s.depth > 3 or s.specific_class
        ]
        return {**super().get_context_data(**kwargs), "banks": banks, **kwargs}

    def get(self, request, *args, **kwargs):
        if request.GET.get("template"):
            response = HttpResponse(
                importing.template_bytes(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = 'attachment; filename="question-bank-template.xlsx"'
            return response
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        school = None
        if request.POST.get("bank"):
            school = _schools(request.user).filter(pk=request.POST["bank"]).first()
            if school is None:
                raise PermissionDenied
        if upload is None:
            return self.render_to_response(self.get_context_data(error=_("Choose an XLSX file.")))
        try:
            report = importing.questions_import(user=request.user, data=upload.read(), school=school)
        except importing.ImportFileError as error:
            return self.render_to_response(self.get_context_data(error=str(error)))
        return self.render_to_response(self.get_context_data(report=report))


class PaperStatistics(StaffView):
    template_name = "quizzes/admin/statistics.html"
    page_title = gettext_lazy("Statistics")

    def paper(self):
        paper = selectors.papers_for_staff(self.request.user).filter(pk=self.kwargs["paper_id"]).first()
        if paper is None:
            raise Http404
        return paper

    def get_context_data(self, **kwargs):
        paper = self.paper()
        return {
            **super().get_context_data(**kwargs),
            "paper": paper,
            "summary": statistics.paper_summary(paper),
            "townships": statistics.paper_by_group(paper, "member__branch__township__title"),
            "branches": statistics.paper_by_group(paper, "member__branch__name"),
            "questions": statistics.question_statistics(paper),
        }

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "xlsx":
            return statistics_xlsx(self.paper())
        return super().get(request, *args, **kwargs)


def statistics_xlsx(paper: Paper) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Results")[:30]
    summary = statistics.paper_summary(paper)
    sheet.append([_("Attempts"), summary["attempts"], _("Passed"), summary["passed"], _("Pass rate (%)"),
                  summary["pass_rate"], _("Mean score"), summary["mean"]])  # fmt: skip
    for title, field in (
        (_("Township"), "member__branch__township__title"),
        (_("Branch"), "member__branch__name"),
    ):
        sheet.append([])
        sheet.append([title, _("Attempts"), _("Passed"), _("Pass rate (%)"), _("Mean score")])
        for row in statistics.paper_by_group(paper, field):
            sheet.append(
                [formula_safe(row["name"]), row["attempts"], row["passed"], row["pass_rate"], row["mean"]]
            )
    questions = book.create_sheet(_("Questions")[:30])
    headings = [_("Question"), _("Type"), _("Attempts"), _("Facility index (%)"), _("Discrimination index")]
    questions.append([*headings, _("Options chosen")])
    for row in statistics.question_statistics(paper):
        options = "；".join(f"{o['text']}: {o['count']}" for o in row["options"])
        question = row["question"]
        cells = [formula_safe(question.text), str(question.type_label), row["attempts"], row["facility"]]
        questions.append([*cells, row["discrimination"], formula_safe(options)])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="paper-{paper.pk}-statistics.xlsx"'
    return response
