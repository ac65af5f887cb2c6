"""The 测验与考试 (Quizzes and exams) admin menu; the views are in staff_views.py."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.people.selectors import is_staff_user
from lms.quizzes import question_views, staff_views, year_views

app_name = "quizzes_admin"
urlpatterns = [
    path("", staff_views.PaperList.as_view(), name="papers"),
    path("papers/new/", staff_views.PaperEdit.as_view(), name="paper_new"),
    path("papers/<int:paper_id>/", staff_views.PaperEdit.as_view(), name="paper"),
    path("papers/<int:paper_id>/statistics/", staff_views.PaperStatistics.as_view(), name="statistics"),
    path("bank/", staff_views.BankList.as_view(), name="bank"),
    path("bank/import/", staff_views.BankImport.as_view(), name="import"),
    path("bank/<int:question_id>/", question_views.QuestionEdit.as_view(), name="question"),
    path("years/", year_views.YearSettings.as_view(), name="years"),
]


@hooks.register("register_admin_urls")
def register_quizzes_urls():
    return [path("quizzes/", include((urlpatterns, "quizzes_admin"), namespace="quizzes_admin"))]


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return is_staff_user(request.user)


@hooks.register("register_admin_menu_item")
def register_quizzes_menu_item():
    return StaffMenuItem(
        _("Quizzes and exams"), reverse("quizzes_admin:papers"), icon_name="doc-full", order=250
    )
