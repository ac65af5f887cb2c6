"""The 5+1+N check shown on a draft's edit page, so staff know what to fix before publishing."""

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
