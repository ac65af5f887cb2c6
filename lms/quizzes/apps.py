from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    """Quizzes and theory exams (测验与理论考试): the question bank, papers, attempts, marking and
    statistics."""

    name = "lms.quizzes"
    label = "quizzes"
    verbose_name = _("Quizzes and exams")
