"""Roll call, the printable attendance sheet and a record's history.

Every view loads its session (or record) from `sessions_for_staff`, so staff outside the class's
township get a 404; the services check again. The roll call posts only the members whose status
changed, in one call to `attendance_roll_call` (all or nothing): a QR sign-in left as it was keeps
its source and minutes.
"""

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance import selectors, services
from lms.attendance.models import AttendanceStatus

FIELD_PREFIX = "status-"


def error_messages(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, PermissionDenied):
        return [str(error) or _("You may not do this.")]
    return list(error.messages)


class AttendanceBreadcrumbsMixin:
    index_url_name = "attendance_rollcall:index"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Roll call")},
            {"url": "", "label": self.get_page_title()},
        ]


class SessionListView(AttendanceBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "attendance/admin/rollcall_sessions.html"
    page_title = gettext_lazy("Roll call")
    header_icon = "tasks"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups = selectors.sessions_today_first(self.request.user)
        context["groups"] = [
            (_("Today"), groups["today"], "today"),
            (_("Recent"), groups["recent"], "recent"),
            (_("Coming up"), groups["coming"], "coming"),
        ]
        return context


class ScopedSessionMixin:
    """The session from the user's scope, else 404."""

    def dispatch(self, request, *args, pk, **kwargs):
        self.session = get_object_or_404(
            selectors.sessions_for_staff(request.user).select_related("training_class__school"), pk=pk
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return f"{self.session.training_class.title} · {self.session.display_title}"


HISTORY_ID = 987654321  # stands in for a record's id in the history link's pattern


@dataclass
class RowParts:
    """What every row of a roll call shares, worked out once per page: each status button's HTML with
    `{pk}` and `{checked}` still to fill, and the history link's pattern."""

    buttons: list[tuple[str, str]]
    history_url: str

    @classmethod
    def build(cls) -> "RowParts":
        buttons = [
            (
                str(value),
                format_html(
                    '<input type="radio" id="m{{pk}}-{0}" name="{1}{{pk}}" value="{0}"{{checked}}>'
                    '<label for="m{{pk}}-{0}">{2}</label>',
                    value,
                    FIELD_PREFIX,
                    str(label).replace("{", "{{").replace("}", "}}"),  # kept through .format() below
                ),
            )
            for value, label in AttendanceStatus.choices
        ]
        history = reverse("attendance_rollcall:history", args=[HISTORY_ID]).replace(str(HISTORY_ID), "{}")
        return cls(buttons=buttons, history_url=history)


def roll_call_row(row: dict, parts: RowParts) -> dict:
    """What a row of the roll call shows, worked out here rather than by template tags: a class of
    1,200 has 6,000 status buttons, and rendering each through the template language (or format_html,
    or reverse, per button) took seconds."""
    member, record = row["member"], row["record"]
    pk = int(member.pk)
    row["pk"] = pk
    row["legend"] = _("Attendance of %(name)s") % {"name": member.name}
    # Safe: the escaped buttons filled with an integer and a constant attribute.
    row["buttons"] = mark_safe(  # noqa: S308
        "".join(
            button.format(pk=pk, checked=" checked" if row["chosen"] == value else "")
            for value, button in parts.buttons
        )
    )
    if record is not None:
        row["source"] = record.get_source_display()
        row["minutes"] = _("%(minutes)s min") % {"minutes": record.minutes} if record.minutes else ""
        row["history_url"] = parts.history_url.format(int(record.pk))
    return row


class RollCallView(ScopedSessionMixin, AttendanceBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "attendance/admin/rollcall.html"
    page_title = gettext_lazy("Roll call")
    header_icon = "tasks"

    def get_context_data(self, *, posted: dict[int, str] | None = None, errors=(), **kwargs):
        context = super().get_context_data(**kwargs)
        rows = selectors.session_sheet(self.session)
        parts = RowParts.build()
        for row in rows:
            record = row["record"]
            row["chosen"] = (posted or {}).get(row["member"].pk) or (record.status if record else "")
            roll_call_row(row, parts)
        context.update(
            session=self.session,
            rows=rows,
            statuses=AttendanceStatus.choices,
            field_prefix=FIELD_PREFIX,
            errors=errors,
            unmarked=sum(1 for row in rows if not row["chosen"]),
            sheet_url=reverse("attendance_rollcall:sheet", args=[self.session.pk]),
        )
        return context

    def post(self, request, *args, **kwargs):
        posted, errors = {}, []
        for key, status in request.POST.items():
            if not key.startswith(FIELD_PREFIX):
                continue
            member_id = key.removeprefix(FIELD_PREFIX)
            if not member_id.isdigit():
                errors.append(_("Unknown member ids: %(ids)s.") % {"ids": member_id})
                continue
            posted[int(member_id)] = status
        current = {
            row["member"].pk: row["record"].status
            for row in selectors.session_sheet(self.session)
            if row["record"] is not None
        }
        marks = {pk: status for pk, status in posted.items() if status and current.get(pk) != status}
        if not errors and marks:
            try:
                services.attendance_roll_call(actor=request.user, session=self.session, marks=marks)
            except (ValidationError, PermissionDenied) as error:
                errors = error_messages(error)
        if errors:
            messages.error(request, _("Nothing was saved due to errors."))
            return self.render_to_response(self.get_context_data(posted=posted, errors=errors))
        if marks:
            messages.success(
                request,
                _("Roll call saved: %(count)s records changed.") % {"count": len(marks)},
            )
        else:
            messages.info(request, _("Nothing changed."))
        return redirect(request.path)


class SheetView(ScopedSessionMixin, TemplateView):
    """The printable sign-in sheet: a plain page, not the admin's furniture."""

    template_name = "attendance/admin/sheet.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = selectors.session_sheet(self.session)
        counts = Counter(row["record"].status for row in rows if row["record"] is not None)
        context.update(
            session=self.session,
            training_class=self.session.training_class,
            rows=rows,
            totals=[(label, counts.get(value, 0)) for value, label in AttendanceStatus.choices],
            unmarked=sum(1 for row in rows if row["record"] is None),
            rollcall_url=reverse("attendance_rollcall:session", args=[self.session.pk]),
            printed_at=timezone.localtime(),
        )
        return context


class HistoryView(AttendanceBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "attendance/admin/history.html"
    page_title = gettext_lazy("Change history")
    header_icon = "history"

    def dispatch(self, request, *args, pk, **kwargs):
        self.record = get_object_or_404(
            selectors.records_for_staff(request.user),
            pk=pk,
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return f"{self.record.member.name} · {self.record.session.display_title}"

    def get_breadcrumbs_items(self):
        session = self.record.session
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Roll call")},
            {
                "url": reverse("attendance_rollcall:session", args=[session.pk]),
                "label": f"{session.training_class.title} · {session.display_title}",
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            record=self.record,
            changes=selectors.record_history(self.record),
            rollcall_url=reverse("attendance_rollcall:session", args=[self.record.session_id]),
        )
        return context
