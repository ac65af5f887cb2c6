"""Background work of the exports app: build a spreadsheet (queue "exports", so a worker of its own
can take them) and prune old files (daily)."""

from django_tasks import task

from lms.exports import services


@task(queue_name="exports")
def export_build(job_id: int) -> int:
    return services.export_build(job_id=job_id)


@task()
def exports_prune() -> int:
    return services.exports_prune()
