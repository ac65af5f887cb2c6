"""The 问卷 (Questionnaires) item of the 考评 menu: the questionnaire builder, for staff.

The organization department keeps the standard form (every version listed); school staff add their
school's own questions, asked after the standard ones. Views are in questionnaire_views.py (list, a
version's page, starting a school's set), questionnaire_questions.py (one question's add, change,
remove, move) and questionnaire_actions.py (new version, put in use, withdraw).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from lms.evaluation.admin.questionnaire_actions import ActivateView, NewVersionView, RetireView
from lms.evaluation.admin.questionnaire_common import may_see_questionnaires
from lms.evaluation.admin.questionnaire_questions import (
    QuestionAddView,
    QuestionDeleteView,
    QuestionEditView,
    QuestionMoveView,
)
from lms.evaluation.admin.questionnaire_views import (
    QuestionnaireDetailView,
    QuestionnaireIndexView,
    SchoolQuestionnaireCreateView,
)


class QuestionnaireMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_questionnaires(request.user)


class QuestionnaireViewSet(ViewSet):
    name = "evaluation_questionnaires"
    url_prefix = "evaluation/questionnaires"
    icon = "clipboard-list"
    menu_label = _("Questionnaires")
    menu_item_class = QuestionnaireMenuItem

    def get_urlpatterns(self):
        return [
            path("", QuestionnaireIndexView.as_view(), name="index"),
            path("new/", SchoolQuestionnaireCreateView.as_view(), name="create"),
            path("<int:pk>/", QuestionnaireDetailView.as_view(), name="detail"),
            path("<int:pk>/add/<slug:question_type>/", QuestionAddView.as_view(), name="question_add"),
            path("<int:pk>/new-version/", NewVersionView.as_view(), name="new_version"),
            path("<int:pk>/activate/", ActivateView.as_view(), name="activate"),
            path("<int:pk>/withdraw/", RetireView.as_view(), name="retire"),
            path("questions/<int:pk>/", QuestionEditView.as_view(), name="question_edit"),
            path("questions/<int:pk>/delete/", QuestionDeleteView.as_view(), name="question_delete"),
            path("questions/<int:pk>/move/", QuestionMoveView.as_view(), name="question_move"),
        ]


QUESTIONNAIRE_VIEWSETS = (QuestionnaireViewSet,)
