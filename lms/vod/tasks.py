"""Background work of lms.vod: transcoding (queue "media", so long videos never delay SMS or exports)."""

from django_tasks import task

from lms.vod import services


@task(queue_name="media")
def video_process(video_id: int) -> str:
    return services.video_process(video_id=video_id)
