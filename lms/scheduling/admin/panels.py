"""Panels of the class edit page: the 5+1+N check shown on a draft, so staff know what to fix before
publishing, and a session row's notice when its teaching point is another township's."""

from django.utils.functional import cached_property
from wagtail.admin.panels import Panel

from lms.scheduling import rules
from lms.scheduling.models import ClassStatus


class ComplianceReportPanel(Panel):
    """Lists `rules.class_violations` for the class as it stands (drafts only; a published class
    cannot be saved with violations)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "scheduling/admin/panels/compliance_report.html"

        def is_shown(self):
            return self.instance is not None and self.instance.status == ClassStatus.DRAFT

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["violations"] = rules.class_violations(self.instance, list(self.instance.sessions.all()))
            return context


class TeachingPointNoticePanel(Panel):
    """A line in a session row whose teaching point belongs to another township than the class's:
    allowed, but said (the rule is `teaching_points.point_outside_township`)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "scheduling/admin/panels/teaching_point_notice.html"

        @cached_property
        def notice(self) -> str:
            point_notice = getattr(self.form, "point_notice", None)
            return point_notice() if point_notice else ""

        def is_shown(self):
            return bool(self.notice)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["notice"] = self.notice
            return context
