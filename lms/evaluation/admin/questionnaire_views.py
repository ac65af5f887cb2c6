"""The questionnaire list, starting a school's own questions, and one version's page (its title and
introduction, its questions with their previews, and the buttons that change it)."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.evaluation.admin.questionnaire_common import (
    QuestionnaireBreadcrumbsMixin,
    ScopedQuestionnaireMixin,
    StaffOnlyMixin,
    detail_url,
    frozen_notice,
    show_refusal,
)
from lms.evaluation.forms import QUESTION_TYPE_KEYS, QuestionnaireForm, SchoolQuestionnaireForm
from lms.evaluation.models import QuestionnaireKind, QuestionnaireStatus
from lms.evaluation.questionnaires import questionnaire_create, questionnaire_update
from lms.evaluation.selectors import questionnaires_for_user, standard_form_in_use
from lms.people.admin.forms import add_service_errors
from lms.scheduling.selectors import schools_for_user


def schools_without_questions(user):
    """The user's schools that have no own questions yet (or only withdrawn ones)."""
    taken = (
        questionnaires_for_user(user)
        .filter(kind=QuestionnaireKind.SCHOOL)
        .exclude(status=QuestionnaireStatus.RETIRED)
        .values("school_id")
    )
    return schools_for_user(user).exclude(pk__in=taken)


class QuestionnaireIndexView(
    StaffOnlyMixin, QuestionnaireBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView
):
    template_name = "evaluation/admin/questionnaire_index.html"
    page_title = gettext_lazy("Questionnaires")
    header_icon = "clipboard-list"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        questionnaires = list(
            questionnaires_for_user(self.request.user)
            .annotate(question_count=Count("questions"))
            .order_by("kind", "school__path", "-version")
        )
        context.update(
            standard_versions=[q for q in questionnaires if q.is_standard],
            school_sets=[q for q in questionnaires if not q.is_standard],
            may_start=schools_without_questions(self.request.user).exists(),
            create_url=reverse("evaluation_questionnaires:create"),
        )
        return context


class SchoolQuestionnaireCreateView(
    StaffOnlyMixin, QuestionnaireBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView
):
    template_name = "evaluation/admin/questionnaire_create.html"
    page_title = gettext_lazy("Add your school's own questions")
    header_icon = "clipboard-list"

    def get_form(self, data=None):
        return SchoolQuestionnaireForm(data, schools=schools_without_questions(self.request.user))

    def get_context_data(self, *, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(form=form or self.get_form(), cancel_url=reverse("evaluation_questionnaires:index"))
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                questionnaire = questionnaire_create(actor=request.user, **form.cleaned_data)
            except PermissionDenied as error:
                show_refusal(request, error)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("“%(title)s” created: now add its questions.") % {"title": questionnaire.title}
                )
                return redirect(detail_url(questionnaire))
        return self.render_to_response(self.get_context_data(form=form))


def question_preview(question) -> list[str]:
    """What a question offers, in a few words (labels, options or the answer's length)."""
    if hasattr(question, "labels"):
        return [f"{value} {label}" for value, label in question.steps()]
    if hasattr(question, "options"):
        return [str(option) for option in question.options]
    return [_("Answer in up to %(limit)s characters.") % {"limit": question.max_length}]


class QuestionnaireDetailView(
    ScopedQuestionnaireMixin, QuestionnaireBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView
):
    template_name = "evaluation/admin/questionnaire_detail.html"
    header_icon = "clipboard-list"

    def get_page_title(self):
        return str(self.questionnaire)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("evaluation_questionnaires:index"), "label": _("Questionnaires")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_page_subtitle(self):
        q = self.questionnaire
        return q.get_kind_display() if q.is_standard else q.school.title

    def get_context_data(self, *, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        q = self.questionnaire
        try:
            newer = q.next_version
        except ObjectDoesNotExist:
            newer = None
        standard = None if q.is_standard else standard_form_in_use()
        context.update(
            questionnaire=q,
            questions=[(one, question_preview(one)) for one in q.questions.order_by("sort_order", "id")],
            standard=standard,
            standard_questions=[
                (one, question_preview(one))
                for one in (standard.questions.order_by("sort_order", "id") if standard else [])
            ],
            form=(form or QuestionnaireForm(instance=q)) if self.may_edit else None,
            may_edit=self.may_edit,
            answered=self.answered,
            questions_editable=self.questions_editable,
            notice=frozen_notice(q, may_edit=self.may_edit, answered=self.answered),
            question_types=[(key, model.type_label) for key, model in QUESTION_TYPE_KEYS.items()],
            newer=newer,
            may_make_version=self.may_edit and newer is None,
            may_activate=self.may_edit and q.status == QuestionnaireStatus.DRAFT,
            may_retire=self.may_edit and not q.is_standard and q.status != QuestionnaireStatus.RETIRED,
        )
        return context

    def post(self, request, *args, **kwargs):
        """Save the title and introduction."""
        form = QuestionnaireForm(request.POST, instance=self.questionnaire)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            questionnaire_update(
                actor=request.user,
                questionnaire=self.questionnaire,
                title=form.cleaned_data["title"],
                intro=form.cleaned_data["intro"],
            )
        except PermissionDenied as error:
            show_refusal(request, error)
            return self.back_to_questionnaire()
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _("Title and introduction saved."))
        return self.back_to_questionnaire()
