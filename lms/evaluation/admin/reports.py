"""The evaluation reports in the 考评 menu (see menu.py): session results (staff, scoped), the teacher
ranking and the yearly assessment inputs (organization department). Each view checks who may see it;
each menu item is shown only to them. The printable yearly report of a teacher is a plain page
(lms/evaluation/teacher_report_views.py), so teachers without admin access can open it too."""

from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSet

from lms.evaluation.admin.reports_assessment import AssessmentView
from lms.evaluation.admin.reports_common import may_assess, may_see_session_results, menu_item_shown_to
from lms.evaluation.admin.reports_ranking import TeacherRankingView
from lms.evaluation.admin.reports_sessions import SessionResultsView, SessionResultView


class SessionResultsViewSet(ViewSet):
    name = "evaluation_results"
    url_prefix = "evaluation/results"
    icon = "list-ul"
    menu_label = _("Session results")

    @cached_property
    def menu_item_class(self):
        return menu_item_shown_to("SessionResultsMenuItem", may_see_session_results)

    def get_urlpatterns(self):
        return [
            path("", SessionResultsView.as_view(), name="index"),
            path("<int:pk>/", SessionResultView.as_view(), name="detail"),
        ]


class TeacherRankingViewSet(ViewSet):
    name = "evaluation_ranking"
    url_prefix = "evaluation/ranking"
    icon = "pick"
    menu_label = _("Teacher ranking")

    @cached_property
    def menu_item_class(self):
        return menu_item_shown_to("TeacherRankingMenuItem", may_assess)

    def get_urlpatterns(self):
        return [path("", TeacherRankingView.as_view(), name="index")]


class AssessmentViewSet(ViewSet):
    name = "evaluation_assessment"
    url_prefix = "evaluation/assessment"
    icon = "edit"
    menu_label = _("Yearly assessment")

    @cached_property
    def menu_item_class(self):
        return menu_item_shown_to("AssessmentMenuItem", may_assess)

    def get_urlpatterns(self):
        return [path("", AssessmentView.as_view(), name="index")]


REPORT_VIEWSETS = (SessionResultsViewSet, TeacherRankingViewSet, AssessmentViewSet)
