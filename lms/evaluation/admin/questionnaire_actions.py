"""A version's buttons: make a new version, put it in use, withdraw it (a school's own questions only).
Each is a POST to one service; its refusal is shown as a message on the questionnaire's page."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import View
from wagtail.admin import messages

from lms.evaluation.admin.questionnaire_common import ScopedQuestionnaireMixin, detail_url, show_refusal
from lms.evaluation.questionnaires import (
    questionnaire_activate,
    questionnaire_new_version,
    questionnaire_retire,
)


class QuestionnaireActionView(ScopedQuestionnaireMixin, View):
    http_method_names = ["post"]

    def act(self):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        try:
            result = self.act()
        except (PermissionDenied, ValidationError) as error:
            show_refusal(request, error)
            return self.back_to_questionnaire()
        return redirect(detail_url(result))


class NewVersionView(QuestionnaireActionView):
    def act(self):
        copy = questionnaire_new_version(actor=self.request.user, questionnaire=self.questionnaire)
        messages.success(
            self.request,
            _("Version %(version)s created as a draft with all the questions; change it, then put it in use.")
            % {"version": copy.version},
        )
        return copy


class ActivateView(QuestionnaireActionView):
    def act(self):
        questionnaire = questionnaire_activate(actor=self.request.user, questionnaire=self.questionnaire)
        messages.success(
            self.request,
            _("Version %(version)s is now in use for evaluations opened from now on.")
            % {"version": questionnaire.version},
        )
        return questionnaire


class RetireView(QuestionnaireActionView):
    def act(self):
        questionnaire = questionnaire_retire(actor=self.request.user, questionnaire=self.questionnaire)
        messages.success(
            self.request,
            _("Withdrawn: evaluations opened from now on ask only the standard questions."),
        )
        return questionnaire
