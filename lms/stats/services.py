"""The annual report (年度党员教育培训工作报告): start one (check, record, enqueue after commit) and
build it in the worker, as the user who asked, with progress: figures, charts, PDF, workbook."""

import io
import logging
from functools import partial

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.stats import selectors
from lms.stats.models import ACTIVE_REPORT_STATUSES, AnnualReport, ReportStatus

logger = logging.getLogger(__name__)
REPORT_LANGUAGE = "zh-hans"  # the report goes to the county's offices, in Chinese


def report_place(user, township_id: int | None) -> selectors.Place | None:
    if township_id is None:
        return selectors.home_place(user)
    return selectors.township_place(user, township_id)


def _active_twin(user, year: int, key: str) -> AnnualReport | None:
    return (
        AnnualReport.objects.select_for_update()
        .filter(user=user, year=year, place_key=key, status__in=ACTIVE_REPORT_STATUSES)
        .first()
    )


def report_start(*, user, year: int, township_id: int | None = None) -> AnnualReport:
    """Check that the user may see the place, then record the report and enqueue its task once the
    transaction commits. The same report already waiting or being built is returned instead (also
    for two clicks at once: the partial unique constraint decides)."""
    place = report_place(user, township_id)
    if place is None:
        raise PermissionDenied
    key = f"township:{township_id}" if township_id else "home"
    with transaction.atomic():
        if twin := _active_twin(user, year, key):
            return twin
        report = AnnualReport(user=user, year=year, township_id=township_id, place_key=key)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            if twin := _active_twin(user, year, key):
                return twin
            raise
        transaction.on_commit(partial(_enqueue, report.pk))
    return report


def _enqueue(report_id: int) -> None:
    from lms.stats.tasks import annual_report_build

    annual_report_build.enqueue(report_id)


def _progress(report: AnnualReport, percent: int, step: str) -> None:
    AnnualReport.objects.filter(pk=report.pk).update(percent=percent, step=step)


def report_build(*, report_id: int) -> bool:
    """Build a waiting report (the worker's task). False when it is gone or already taken."""
    claimed = AnnualReport.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING
    )
    if not claimed:
        return False
    report = AnnualReport.objects.select_related("user").get(pk=report_id)
    try:
        with translation.override(REPORT_LANGUAGE):
            _build(report)
    except Exception as exc:
        logger.exception("Annual report %s failed", report.pk)
        with translation.override(REPORT_LANGUAGE):
            message = _("The report could not be built (%(error)s). Please try again.") % {
                "error": f"{type(exc).__name__}: {exc}"[:300]
            }
        AnnualReport.objects.filter(pk=report.pk).update(
            status=ReportStatus.FAILED, error=message, finished_at=timezone.now()
        )
        raise
    return True


def _build(report: AnnualReport) -> None:
    from lms.stats import report as rendering

    place = report_place(report.user, report.township_id)
    if place is None:
        raise PermissionDenied(_("You may no longer see these figures."))
    _progress(report, 10, _("Reading the figures"))
    dash = selectors.dashboard(report.user, place, report.year)
    held = list(selectors.classes_held(place, report.year))
    title = _("%(place)s %(year)s annual report on party-member education and training") % {
        "place": place.title,
        "year": report.year,
    }
    _progress(report, 40, _("Drawing the charts"))
    charts = rendering.charts(dash)
    _progress(report, 60, _("Writing the PDF"))
    pdf = rendering.pdf(title, dash, charts, held)
    _progress(report, 85, _("Writing the workbook"))
    workbook = io.BytesIO()
    rendering.workbook(workbook, dash, held)
    name = f"annual-report-{report.year}-{report.pk}"
    report.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
    report.xlsx.save(f"{name}.xlsx", ContentFile(workbook.getvalue()), save=False)
    AnnualReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.DONE,
        percent=100,
        step="",
        title=title[:200],
        pdf=report.pdf.name,
        xlsx=report.xlsx.name,
        finished_at=timezone.now(),
    )
