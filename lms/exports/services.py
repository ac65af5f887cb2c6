"""Exports: start one (check, record, enqueue after commit), build it (in the worker, as the user who
asked, in chunks with progress), and prune old files.

`export_start` answers at once whatever the size of the export: the rows are read by the task."""

import hashlib
import json
import logging
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.exports import sources, writers
from lms.exports.models import ACTIVE_STATUSES, ExportFormat, ExportJob, ExportStatus

logger = logging.getLogger(__name__)


def params_key(params: Mapping) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _active_twin(user, kind: str, fmt: str, key: str):
    return (
        ExportJob.objects.select_for_update()
        .filter(user=user, kind=kind, fmt=fmt, params_key=key, status__in=ACTIVE_STATUSES)
        .first()
    )


def _fail_stale_twins(user, kind: str, fmt: str, key: str, now) -> None:
    """A running job that has written no progress for EXPORTS_STALE_MINUTES lost its worker (a
    restart, a crash): say so, so that asking again starts a new one."""
    with translation.override(sources.EXPORT_LANGUAGE):
        error = _("The background worker stopped before the export was finished. Please export again.")
    ExportJob.objects.filter(
        user=user,
        kind=kind,
        fmt=fmt,
        params_key=key,
        status=ExportStatus.RUNNING,
        updated_at__lt=now - timedelta(minutes=settings.EXPORTS_STALE_MINUTES),
    ).update(status=ExportStatus.FAILED, error=error, finished_at=now, updated_at=now)


def export_start(*, user, kind: str, params: Mapping, fmt: str) -> ExportJob:
    """Check that `user` may see this export (the page's own check and scope), then record it and
    enqueue its task once the transaction commits. The same export (user, kind, parameters, format)
    already waiting or being built is returned instead of a second one, also for two clicks at once
    (the partial unique constraint decides)."""
    if fmt not in ExportFormat.values:
        raise ValidationError(_("An export is either XLSX or CSV."))
    source_class = sources.source_class(kind)
    params = source_class.clean_params(params)
    if not source_class(user, params, fmt).allowed():
        raise PermissionDenied
    key = params_key(params)
    now = timezone.now()
    with transaction.atomic():
        _fail_stale_twins(user, kind, fmt, key, now)
        if twin := _active_twin(user, kind, fmt, key):
            return twin
        job = ExportJob(user=user, kind=kind, params=params, params_key=key, fmt=fmt)
        try:
            job.full_clean(exclude=["user"], validate_constraints=False)
            with transaction.atomic():
                job.save()
        except IntegrityError:
            # Another request made the same export between our look and our insert.
            if twin := _active_twin(user, kind, fmt, key):
                return twin
            raise
        transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from lms.exports.tasks import export_build

    export_build.enqueue(job_id)


def _progress(job_id: int, rows_done: int) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        rows_done=rows_done, rows_total=Greatest(F("rows_total"), rows_done), updated_at=timezone.now()
    )


def export_build(*, job_id: int) -> int:
    """Build the file of a waiting job (the worker's task). Returns the rows written (0 if the job is
    gone or was already taken). A failure is recorded on the job in words, then raised."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now, updated_at=now
    )
    if not claimed:
        return 0
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        return _build(job)
    except Exception as exc:
        logger.exception("Export %s (%s) failed", job.pk, job.kind)
        export_fail(job=job, error=exc)
        raise


def _build(job: ExportJob) -> int:
    chunk = max(1, settings.EXPORTS_CHUNK_ROWS)
    source = sources.source_class(job.kind)(job.user, job.params, job.fmt)
    with translation.override(sources.EXPORT_LANGUAGE):
        if not source.allowed():
            raise sources.ExportRefused(_("You may no longer see what this export holds."))
        filename = f"{source.filename()}.{job.fmt}"
        total, rows = source.open()
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total, updated_at=timezone.now())
        settings_root = settings.EXPORTS_ROOT
        with tempfile.TemporaryFile(dir=_existing_dir(settings_root)) as output:
            sheet = writers.open_sheet(job.fmt, output, source.sheet_title(), source.headings())
            written = 0
            for row in rows:
                sheet.append(row)
                written += 1
                if written % chunk == 0:
                    _progress(job.pk, written)
            sheet.close()
            output.seek(0)
            job.file.save(filename, File(output), save=False)
    now = timezone.now()
    finished = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE,
        file=job.file.name,
        filename=filename,
        rows_done=written,
        rows_total=written,
        finished_at=now,
        updated_at=now,
    )
    if not finished:  # given up on as stale meanwhile: nobody will download this one
        job.file.delete(save=False)
    return written


def _existing_dir(path) -> str:
    from pathlib import Path

    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    return str(directory)


def export_fail(*, job: ExportJob, error: BaseException) -> None:
    if isinstance(error, sources.ExportRefused):
        message = str(error)
    else:
        with translation.override(sources.EXPORT_LANGUAGE):
            message = _(
                "The export could not be built (%(error)s). Please try again or tell the administrator."
            ) % {"error": f"{type(error).__name__}: {error}"[:300]}
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).exclude(status=ExportStatus.DONE).update(
        status=ExportStatus.FAILED, error=message, finished_at=now, updated_at=now
    )


def exports_prune(*, now=None) -> int:
    """Delete exports (and their files) finished more than EXPORTS_KEEP_DAYS ago. Returns how many."""
    now = now or timezone.now()
    old = ExportJob.objects.filter(finished_at__lt=now - timedelta(days=settings.EXPORTS_KEEP_DAYS))
    deleted = 0
    for job in old.only("pk", "file").iterator(chunk_size=200):
        if job.file:
            job.file.delete(save=False)
        deleted += ExportJob.objects.filter(pk=job.pk).delete()[0]
    return deleted


def export_expired(job: ExportJob, now=None) -> bool:
    now = now or timezone.now()
    return bool(job.finished_at and job.finished_at < now - timedelta(days=settings.EXPORTS_KEEP_DAYS))
