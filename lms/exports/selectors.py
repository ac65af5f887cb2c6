"""Reads of exports: a user sees only their own."""

from django.db.models import QuerySet

from lms.exports.models import ExportJob

RECENT = 50


def export_jobs_of(user) -> QuerySet[ExportJob]:
    if not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user)


def recent_export_jobs_of(user) -> QuerySet[ExportJob]:
    return export_jobs_of(user).order_by("-created_at", "-pk")[:RECENT]
