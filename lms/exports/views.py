"""Export pages in the admin (导出): a job's progress (polled as JSON by our own script), its download
for its owner only, and the list of the user's recent exports. Another user's job is a 404.

`export_started` is what a report's "Export XLSX/CSV" button calls: it starts (or finds) the job and
redirects to its page at once; the worker builds the file."""

from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.exports import selectors, services, writers
from lms.exports.models import ExportJob, ExportStatus


def export_started(request, *, kind: str, params, fmt: str):
    job = services.export_start(user=request.user, kind=kind, params=params, fmt=fmt)
    return redirect("exports:job", job.pk)


def own_job(request, pk: int) -> ExportJob:
    return get_object_or_404(selectors.export_jobs_of(request.user), pk=pk)


def job_state(job: ExportJob) -> dict:
    expired = services.export_expired(job)
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()) if not expired else _("Expired"),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "rows_text": _("%(done)s of %(total)s rows") % {"done": job.rows_done, "total": job.rows_total}
        if job.rows_total
        else "",
        "percent": job.percent,
        "error": job.error,
        "download_url": reverse("exports:download", args=[job.pk])
        if job.status == ExportStatus.DONE and not expired
        else "",
        "filename": job.filename,
        "finished": not job.is_active,
    }


class ExportJobView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "exports/job.html"
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        self.job = own_job(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Export: %(kind)s") % {"kind": self.job.get_kind_display()}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("exports:index"), "label": _("My exports")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            job=self.job,
            state=job_state(self.job),
            status_url=reverse("exports:status", args=[self.job.pk]),
        )
        return context


def export_status(request, pk: int):
    return JsonResponse(job_state(own_job(request, pk)))


def export_download(request, pk: int):
    job = own_job(request, pk)
    if job.status != ExportStatus.DONE or services.export_expired(job) or not job.file:
        raise Http404(_("This export has no file to download."))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("This export has no file to download.")) from exc
    return FileResponse(
        handle, as_attachment=True, filename=job.filename, content_type=writers.CONTENT_TYPES[job.fmt]
    )


class ExportListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "exports/list.html"
    page_title = gettext_lazy("My exports")
    header_icon = "download"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        jobs = list(selectors.recent_export_jobs_of(self.request.user))
        context["rows"] = [{"job": job, "state": job_state(job)} for job in jobs]
        context["keep_days"] = settings.EXPORTS_KEEP_DAYS
        return context
