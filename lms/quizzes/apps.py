from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    """Quizzes and theory exams (测验与理论考试): the question bank, papers, attempts, marking and
    statistics."""

    name = "lms.quizzes"
    label = "quizzes"
    verbose_name = _("Quizzes and exams")

    def ready(self):
        # The department's yearly setting for exam sessions, read by the hours rules of lms.attendance,
        # which sits below this app and must not import it: it asks for a condition instead.
        from lms.attendance.selectors import register_uncounted_sessions
        from lms.quizzes.selectors import exam_sessions_uncounted

        register_uncounted_sessions(exam_sessions_uncounted)
