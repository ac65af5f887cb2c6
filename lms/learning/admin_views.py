"""Staff pages (admin) of on-demand learning: per video its viewers, completion rate, average share
watched and drop-off curve (ECharts, with its table), the members who still owe make-up for a
recording (XLSX or CSV, built by the
background worker: `lms.learning.exports`), and the organization department's online study rules.

Scoped like the rest: videos by `videos_for_staff`, viewers and members by `members_for_user`."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.exports.models import ExportFormat, ExportKind
from lms.exports.views import export_started
from lms.learning import reports, services
from lms.learning.models import StudyContent, StudyRule
from lms.people.models import MemberCategory
from lms.people.selectors import is_org_dept, is_staff_user, townships_managed_by
from lms.vod.models import Video, VideoStatus
from lms.vod.selectors import videos_for_staff

PER_PAGE = 50
MEMBERS_PER_PAGE = 100


def _staff_only(user):
    if not (is_org_dept(user) or is_staff_user(user)):
        raise PermissionDenied(_("Only school staff see online learning figures."))


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def percent(part: float) -> int:
    return round(part * 100)


class LearningVideosView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "learning/admin/videos.html"
    page_title = gettext_lazy("Online learning")
    header_icon = "media"

    def dispatch(self, request, *args, **kwargs):
        _staff_only(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        videos = (
            reports.videos_with_figures(self.request.user)
            .filter(status=VideoStatus.READY)
            .order_by("-created_at", "-pk")
        )
        page = Paginator(videos, PER_PAGE).get_page(self.request.GET.get("p"))
        for video in page.object_list:
            seconds = video.duration or 0
            video.completion_percent = (
                percent(video.completed_count / video.viewer_count) if video.viewer_count else 0
            )
            video.average_percent = percent((video.average_seconds or 0) / seconds) if seconds else 0
        context.update(page=page, is_org_dept=is_org_dept(self.request.user))
        return context


class LearningVideoView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "learning/admin/video.html"
    header_icon = "media"

    def dispatch(self, request, *args, **kwargs):
        _staff_only(request.user)
        self.video = (
            videos_for_staff(request.user)
            .filter(pk=kwargs["pk"])
            .select_related("session__training_class")
            .first()
        )
        if self.video is None:
            raise Http404
        self.township_id = _int(request.GET.get("township"))
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Online learning: %(title)s") % {"title": self.video.title}

    def get_breadcrumbs_items(self):
        # The page's own title in the header and a way back to the list (without them: only 首页).
        return self.breadcrumbs_items + [
            {"url": reverse("learning_admin:videos"), "label": _("Online learning")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in ExportFormat.values:
            # Built by the background worker (lms.learning.exports.MakeupOwedExport): the request only
            # records the export and opens its progress page.
            params = {"video": self.video.pk, "township": self.township_id}
            return export_started(request, kind=ExportKind.MAKEUP_OWED, params=params, fmt=fmt)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        figures = reports.video_figures(user, self.video)
        owed = reports.makeup_owed_members(user, self.video, self.township_id)
        filters = {"township": self.township_id} if self.township_id else {}
        page = Paginator(owed, MEMBERS_PER_PAGE).get_page(self.request.GET.get("p"))
        seconds = self.video.duration or 0
        for member in page.object_list:
            member.share_percent = percent(member.watched_seconds / seconds) if seconds else 0
        curve = [
            {**point, "percent": percent(point["share"]), "minute": round(point["from"] / 60, 1)}
            for point in figures.curve
        ]
        context.update(
            video=self.video,
            figures=figures,
            completion_percent=percent(figures.completion_rate),
            average_percent=percent(figures.average_share),
            curve=curve,
            chart={
                "x": [point["minute"] for point in curve],
                "y": [point["percent"] for point in curve],
                "x_name": _("Minute"),
                "y_name": _("Watched (%)"),
            },
            is_recording=self.video.session_id is not None,
            page=page,
            townships=townships_managed_by(user).order_by("path"),
            township_id=self.township_id,
            export_xlsx="?" + urlencode({**filters, "export": "xlsx"}),
            export_csv="?" + urlencode({**filters, "export": "csv"}),
        )
        return context


class StudyRuleForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    category = forms.ChoiceField(label=gettext_lazy("Member category"), choices=MemberCategory.choices)
    content = forms.ChoiceField(label=gettext_lazy("Which videos count"), choices=StudyContent.choices)
    share = forms.IntegerField(
        label=gettext_lazy("Share to watch to complete (%)"), min_value=1, max_value=100
    )
    cap_hours = forms.DecimalField(
        label=gettext_lazy("Yearly cap on online hours"),
        required=False,
        min_value=0,
        max_digits=5,
        decimal_places=1,
        help_text=gettext_lazy("Leave empty for no cap."),
    )
    marked_videos = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Marked videos"), queryset=Video.objects.none(), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["marked_videos"].queryset = videos_for_staff(user).filter(status=VideoStatus.READY)


class StudyRulesView(WagtailAdminTemplateMixin, TemplateView):
    """The organization department's online study rules per year and member category."""

    template_name = "learning/admin/rules.html"
    page_title = gettext_lazy("Online study rules")
    header_icon = "cog"

    def dispatch(self, request, *args, **kwargs):
        if not is_org_dept(request.user):
            raise PermissionDenied(_("Only the organization department sets the online study rules."))
        return super().dispatch(request, *args, **kwargs)

    def form(self, data=None):
        year = _int(self.request.GET.get("year")) or timezone.localdate().year
        category = self.request.GET.get("category") or MemberCategory.ORDINARY
        rule = StudyRule.objects.filter(year=year, category=category).first()
        initial = {
            "year": year,
            "category": category,
            "content": rule.content if rule else StudyContent.ALL,
            "share": rule.share if rule else 90,
            "cap_hours": rule.cap_hours if rule else None,
            "marked_videos": list(rule.marked_videos.values_list("pk", flat=True)) if rule else [],
        }
        return StudyRuleForm(data, initial=initial, user=self.request.user)

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.study_rule_set(
                    actor=request.user,
                    year=data["year"],
                    category=data["category"],
                    content=data["content"],
                    share=data["share"],
                    cap_hours=data["cap_hours"],
                    marked_videos=data["marked_videos"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The online study rule is saved."))
                return redirect("learning_admin:rules")
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        context["rules"] = StudyRule.objects.order_by("-year", "category").prefetch_related("marked_videos")[
            :60
        ]
        return context
