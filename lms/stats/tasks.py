"""Background work of lms.stats: the annual report (queue "exports", with the spreadsheets)."""

from django_tasks import task

from lms.stats import services


@task(queue_name="exports")
def annual_report_build(report_id: int) -> bool:
    return services.report_build(report_id=report_id)


@task(queue_name="exports")
def figures_refresh_task(year: int) -> int:
    """Sum the year's attendance into the members' monthly hours again (`manage.py stats_refresh`
    enqueues it from cron); returns the rows stored."""
    return services.figures_refresh(year=year).rows
