"""The 视频 (Videos) admin pages: the list (scoped to the schools the user runs), upload, a video's
page (processing state polled by htmx, the reason of a failure, retry, preview player, details,
delete), and a session's recording."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.people.selectors import is_org_dept, is_staff_user
from lms.vod import selectors, services
from lms.vod.forms import VideoDetailsForm, VideoUploadForm
from lms.vod.models import Video, VideoStatus

PER_PAGE = 25
POLL_SECONDS = 2


class StaffOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not (is_org_dept(request.user) or is_staff_user(request.user)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def managed_video(request, pk: int) -> Video:
    """The video if the user manages it; another school's is a 404, as if it did not exist."""
    if not (is_org_dept(request.user) or is_staff_user(request.user)):
        raise PermissionDenied
    return get_object_or_404(selectors.videos_for_staff(request.user), pk=pk)


def video_state(video: Video) -> dict:
    silent_since = timezone.now() - timedelta(minutes=settings.VOD_STALE_MINUTES)
    stale = video.status == VideoStatus.PROCESSING and video.updated_at < silent_since
    return {
        "video": video,
        "active": video.status in (VideoStatus.WAITING, VideoStatus.PROCESSING) and not stale,
        "retryable": video.status == VideoStatus.FAILED or stale,
        "stale": stale,
        "poll_seconds": POLL_SECONDS,
    }


class VideoListView(StaffOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "vod/admin/index.html"
    page_title = gettext_lazy("Videos")
    header_icon = "media"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        videos = selectors.videos_for_staff(self.request.user).order_by("-created_at", "-pk")
        status = self.request.GET.get("status", "")
        if status in VideoStatus.values:
            videos = videos.filter(status=status)
        page = Paginator(videos, PER_PAGE).get_page(self.request.GET.get("p"))
        context.update(page=page, statuses=VideoStatus.choices, status=status)
        return context


class VideoUploadView(StaffOnlyMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "vod/admin/upload.html"
    page_title = gettext_lazy("Upload a video")
    header_icon = "upload"
    form_class = VideoUploadForm

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("vod_admin:index"), "label": _("Videos")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            video = services.video_upload(
                actor=self.request.user,
                school=data["school"],
                title=data["title"],
                description=data["description"],
                published=data["published"],
                uploaded=data["file"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error("file" if isinstance(error, ValidationError) else "school", error)
            return self.form_invalid(form)
        messages.success(self.request, _("The video was uploaded; it is being processed."))
        return redirect("vod_admin:video", video.pk)


class VideoView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "vod/admin/video.html"
    header_icon = "media"

    def dispatch(self, request, *args, **kwargs):
        self.video = managed_video(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.video.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("vod_admin:index"), "label": _("Videos")},
            {"url": "", "label": self.video.title},
        ]

    def post(self, request, *args, **kwargs):
        form = VideoDetailsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            services.video_update(
                actor=request.user,
                video=self.video,
                title=data["title"],
                description=data["description"],
                published=data["published"],
            )
            messages.success(request, _("The video's details were saved."))
            return redirect("vod_admin:video", self.video.pk)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        video = self.video
        context.update(video_state(video))
        context.setdefault(
            "form",
            VideoDetailsForm(
                initial={"title": video.title, "description": video.description, "published": video.published}
            ),
        )
        if video.status == VideoStatus.READY:
            context["playlist_url"] = selectors.file_url(video, "master.m3u8")
            context["poster_url"] = selectors.file_url(video, "poster.jpg") if video.has_poster else ""
        return context


def video_state_fragment(request, pk: int):
    """The processing state, polled by the video's page while the worker is at it."""
    video = managed_video(request, pk)
    return TemplateResponse(request, "vod/admin/includes/state.html", video_state(video))


def video_retry(request, pk: int):
    if request.method != "POST":
        raise Http404
    video = managed_video(request, pk)
    try:
        services.video_retry(actor=request.user, video=video)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The video will be processed again."))
    return redirect("vod_admin:video", video.pk)


class VideoDeleteView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "vod/admin/delete.html"
    header_icon = "bin"

    def dispatch(self, request, *args, **kwargs):
        self.video = managed_video(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Delete %(title)s") % {"title": self.video.title}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("vod_admin:index"), "label": _("Videos")},
            {"url": reverse("vod_admin:video", args=[self.video.pk]), "label": self.video.title},
            {"url": "", "label": _("Delete")},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"video": self.video}

    def post(self, request, *args, **kwargs):
        services.video_delete(actor=request.user, video=self.video)
        messages.success(request, _("The video %(title)s was deleted.") % {"title": self.video.title})
        return redirect("vod_admin:index")


def session_recording(request, session_id: int):
    """A session's recording (linked from the session's pages): its video page, or a 404 without one."""
    if not (is_org_dept(request.user) or is_staff_user(request.user)):
        raise PermissionDenied
    video = get_object_or_404(selectors.videos_for_staff(request.user), session_id=session_id)
    return redirect("vod_admin:video", video.pk)
