"""What the questionnaire builder's views share: who sees the menu, loading a questionnaire or question
from the user's scope (404 outside it), breadcrumbs, and a service's refusal shown as a message.

Views only read to decide what to show; every change goes through questionnaires.py, which checks
again (a POST from a stale page or by hand is refused there and its message is shown)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.admin import messages

from lms.evaluation.models import Question, Questionnaire
from lms.evaluation.questionnaires import can_edit_questionnaire, is_answered
from lms.evaluation.selectors import questionnaires_for_user
from lms.people.selectors import is_staff_user

INDEX_URL_NAME = "evaluation_questionnaires:index"
DETAIL_URL_NAME = "evaluation_questionnaires:detail"


def may_see_questionnaires(user) -> bool:
    """Staff (organization department, city and township schools) see the builder."""
    return is_staff_user(user)


def detail_url(questionnaire: Questionnaire | int) -> str:
    return reverse(DETAIL_URL_NAME, args=[getattr(questionnaire, "pk", questionnaire)])


def refusal_messages(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, PermissionDenied):
        return [str(error) or _("You may not do this.")]
    return list(error.messages)


def show_refusal(request, error: ValidationError | PermissionDenied) -> None:
    for message in refusal_messages(error):
        messages.error(request, message)


def frozen_notice(questionnaire: Questionnaire, *, may_edit: bool, answered: bool) -> str:
    """Why this version's questions cannot be changed here ("" if they can)."""
    if not may_edit:
        if questionnaire.is_standard:
            return _("Only the organization department changes the standard form. You can look at it here.")
        return _("You may look at these questions but not change them.")
    if answered:
        return _("This version has been answered, so its questions cannot change. Make a new version.")
    return ""


class StaffOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not may_see_questionnaires(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class QuestionnaireBreadcrumbsMixin:
    def get_breadcrumbs_items(self):
        items = [{"url": reverse(INDEX_URL_NAME), "label": _("Questionnaires")}]
        questionnaire = getattr(self, "questionnaire", None)
        if questionnaire is not None:
            items.append({"url": detail_url(questionnaire), "label": str(questionnaire)})
        return self.breadcrumbs_items + items + [{"url": "", "label": self.get_page_title()}]


class ScopedQuestionnaireMixin(StaffOnlyMixin):
    """`self.questionnaire` from the user's scope (URL kwarg `pk`), else 404."""

    def dispatch(self, request, *args, pk, **kwargs):
        if may_see_questionnaires(request.user):
            self.questionnaire = get_object_or_404(questionnaires_for_user(request.user), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def may_edit(self) -> bool:
        return can_edit_questionnaire(self.request.user, self.questionnaire)

    @cached_property
    def answered(self) -> bool:
        return is_answered(self.questionnaire)

    @property
    def questions_editable(self) -> bool:
        return self.may_edit and not self.answered

    def back_to_questionnaire(self):
        return redirect(detail_url(self.questionnaire))


class ScopedQuestionMixin(ScopedQuestionnaireMixin):
    """`self.question` (as its own type) and its questionnaire, from the user's scope, else 404."""

    def dispatch(self, request, *args, pk, **kwargs):
        if may_see_questionnaires(request.user):
            self.question = get_object_or_404(
                Question.objects.filter(questionnaire__in=questionnaires_for_user(request.user)), pk=pk
            )
            pk = self.question.questionnaire_id
        return super().dispatch(request, *args, pk=pk, **kwargs)
