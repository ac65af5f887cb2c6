"""The staff page of a live session's presence: each participant's joins, leaves and away periods on
the session's time line, with the minutes credited (after the class, or live while it runs)."""

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from lms.attendance.models import AttendanceRecord
from lms.attendance.selectors import sessions_for_staff
from lms.classroom import selectors
from lms.classroom.models import LiveRoom


class TimelineView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "classroom/admin/timeline.html"
    page_title = gettext_lazy("Live presence")
    header_icon = "time"

    def dispatch(self, request, *args, **kwargs):
        self.session = get_object_or_404(sessions_for_staff(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return f"{self.session.training_class.title} · {self.session.display_title}"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("attendance_rollcall:session", args=[self.session.pk]), "label": _("Roll call")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        room = LiveRoom.objects.filter(session=self.session).select_related("session").first()
        rows = selectors.presence_timeline(room, room.ended_at or timezone.now()) if room else []
        records = {
            record.member.user_id: record
            for record in AttendanceRecord.objects.filter(session=self.session).select_related("member")
        }
        for row in rows:
            row["record"] = records.get(row["user"].pk)
        context.update(session=self.session, room=room, rows=rows)
        return context


class TimelineViewSet(ViewSet):
    name = "classroom_timeline"
    url_prefix = "classroom/sessions"
    icon = "time"

    def get_urlpatterns(self):
        return [path("<int:pk>/timeline/", TimelineView.as_view(), name="timeline")]
