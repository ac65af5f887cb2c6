"""The 考评 (Teacher evaluation) admin menu: questionnaires, results and the yearly assessment."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from lms.evaluation.admin.questionnaires import QUESTIONNAIRE_VIEWSETS
from lms.evaluation.admin.reports import REPORT_VIEWSETS


class EvaluationViewSetGroup(ViewSetGroup):
    menu_label = _("Teacher evaluation")
    menu_icon = "clipboard-list"
    menu_order = 240
    items = (*QUESTIONNAIRE_VIEWSETS, *REPORT_VIEWSETS)


@hooks.register("register_admin_viewset")
def register_evaluation_viewsets():
    return EvaluationViewSetGroup()
