"""The annual report (年度党员教育培训工作报告): start one (check, record, enqueue after commit) and
build it in the worker, as the user who asked, with progress: figures, charts, PDF, workbook. And the
members' monthly hours the figures are read from: summed from a year's records by the worker
(`figures_refresh`), filled on the first read of a year that has none (`figures_ensure`)."""

import io
import logging
from functools import partial

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.stats import selectors
from lms.stats.models import (
    ACTIVE_REPORT_STATUSES,
    AnnualReport,
    FiguresRefresh,
    MemberMonthHours,
    ReportStatus,
)

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


# --- The members' monthly hours --------------------------------------------------------------------

_MONTH_COLUMNS = (
    "attended_sessions",
    "credited_sessions",
    "minutes",
    "township_minutes",
    "in_person_minutes",
    "live_minutes",
    "replay_minutes",
    "replays",
    "absences",
)


def _month_sums(year: int):
    """The year's records summed per member and month of the session's start (local time), as the
    hours ledger counts them: minutes only from attended sessions the year counts
    (`uncounted_sessions`), the rotation from every attended one."""
    from lms.attendance import selectors as hours
    from lms.attendance.models import ATTENDED_STATUSES, AttendanceRecord, AttendanceSource, AttendanceStatus

    start, end = hours.year_bounds(year)
    attended = Q(status__in=ATTENDED_STATUSES)
    uncounted = hours.uncounted_sessions(year)
    credited = attended & ~uncounted if uncounted is not None else attended
    in_township = Q(session__training_class__school_id=F("member__branch__township_id"))
    return (
        AttendanceRecord.objects.filter(session__starts_at__gte=start, session__starts_at__lt=end)
        .filter(attended | Q(status=AttendanceStatus.ABSENT))
        .order_by()
        .annotate(month=ExtractMonth("session__starts_at"))
        .values("member_id", "month")
        .annotate(
            s_attended_sessions=Count("pk", filter=attended),
            s_credited_sessions=Count("pk", filter=credited),
            s_minutes=Sum("minutes", filter=credited, default=0),
            s_township_minutes=Sum("minutes", filter=credited & in_township, default=0),
            s_in_person_minutes=Sum(
                "minutes",
                filter=credited & Q(source__in=[AttendanceSource.QR, AttendanceSource.ROLL_CALL]),
                default=0,
            ),
            s_live_minutes=Sum("minutes", filter=credited & Q(source=AttendanceSource.LIVE), default=0),
            s_replay_minutes=Sum("minutes", filter=credited & Q(source=AttendanceSource.REPLAY), default=0),
            s_replays=Count("pk", filter=credited & Q(source=AttendanceSource.REPLAY)),
            s_absences=Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
        )
    )


def _online_sums(year: int):
    """Online study (lms.learning) of the year per member, in the month last watched."""
    from lms.attendance.models import OnlineStudy

    return (
        OnlineStudy.objects.filter(year=year, minutes__gt=0)
        .order_by()
        .annotate(month=ExtractMonth("updated_at"))
        .values("member_id", "month")
        .annotate(online=Sum("minutes"))
    )


def figures_refresh(*, year: int) -> FiguresRefresh:
    """Sum the year's records (and online study) into the members' monthly hours again, replacing the
    year's rows, and stamp the year. Two statements of INSERT … SELECT in the database, whatever the
    number of records. Idempotent; two refreshes of one year at once run one after the other (the
    year's FiguresRefresh row is locked first), and readers keep seeing the previous sums until this
    one commits."""
    started = timezone.now()
    table = connection.ops.quote_name(MemberMonthHours._meta.db_table)
    with transaction.atomic():
        FiguresRefresh.objects.get_or_create(year=year)
        stamp = FiguresRefresh.objects.select_for_update().get(year=year)
        MemberMonthHours.objects.filter(year=year).delete()
        columns = ", ".join(_MONTH_COLUMNS)
        sums_sql, sums_params = _month_sums(year).query.sql_with_params()
        online_sql, online_params = _online_sums(year).query.sql_with_params()
        picked = ", ".join(f"q.s_{column}" for column in _MONTH_COLUMNS)  # the sums' aliases
        with connection.cursor() as cursor:
            # Only Django's compiled SQL and our own column names go into the text; values are parameters.
            cursor.execute(
                f"INSERT INTO {table} (member_id, year, month, {columns}, online_minutes) "  # noqa: S608
                # in the order of the year's index (year, member, month), so reading a year's rows
                # in that order touches each page once
                f"SELECT q.member_id, %s, q.month, {picked}, 0 FROM ({sums_sql}) q "
                "ORDER BY q.member_id, q.month",
                (year, *sums_params),
            )
            cursor.execute(
                f"INSERT INTO {table} (member_id, year, month, {columns}, online_minutes) "  # noqa: S608
                f"SELECT q.member_id, %s, q.month, {', '.join('0' for _c in _MONTH_COLUMNS)}, q.online "
                f"FROM ({online_sql}) q WHERE true "
                "ON CONFLICT (member_id, year, month) DO UPDATE SET online_minutes = EXCLUDED.online_minutes",
                (year, *online_params),
            )
        stamp.refreshed_at = timezone.now()
        stamp.rows = MemberMonthHours.objects.filter(year=year).count()
        stamp.seconds = round((stamp.refreshed_at - started).total_seconds(), 3)
        stamp.save(update_fields=["refreshed_at", "rows", "seconds"])
    return stamp


def figures_ensure(*, years) -> dict[int, FiguresRefresh]:
    """The stamps of `years` (one query); a year never summed yet is summed now, once (the first
    reader of a year waits for it; after that the worker keeps it fresh)."""
    stored = FiguresRefresh.objects.filter(year__in=list(years), refreshed_at__isnull=False)
    stamps = {stamp.year: stamp for stamp in stored}
    for year in years:
        if year not in stamps:
            stamps[year] = figures_refresh(year=year)
    return stamps


def figures_refresh_enqueue(*, years) -> None:
    """Ask the worker to refresh these years (after the current transaction commits)."""
    from lms.stats.tasks import figures_refresh_task

    for year in years:
        transaction.on_commit(partial(figures_refresh_task.enqueue, year))
