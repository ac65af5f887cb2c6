"""Background work of lms.stats: the annual report (queue "exports", with the spreadsheets)."""

from django_tasks import task

from lms.stats import services


@task(queue_name="exports")
def annual_report_build(report_id: int) -> bool:
    return services.report_build(report_id=report_id)
