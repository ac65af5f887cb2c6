"""The videos' admin pages in Chromium: the list, a ready video's preview playing through hls.js from
its signed URL, and a failed one's reason and Retry button (screenshots with VOD_SCREENSHOTS=<dir>)."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lms.vod import services
from lms.vod.models import Video, VideoStatus
from tests.e2e.test_live_room import logged_in, media_chromium  # noqa: F401 (a fixture)
from tests.vod.conftest import generated_video, need_ffmpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("VOD_SCREENSHOTS")


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_staff_preview_a_ready_video_and_retry_a_failed_one(
    media_chromium,  # noqa: F811
    live_server,
    county,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    need_ffmpeg()
    source = generated_video(tmp_path / "lecture.mp4", seconds=6)
    with django_capture_on_commit_callbacks(execute=True):
        ready = services.video_upload(
            actor=county["staff_a"],
            school=county["town_a"],
            title="学习党章第一讲",
            uploaded=SimpleUploadedFile("lecture.mp4", source.read_bytes()),
        )
        broken = services.video_upload(
            actor=county["staff_a"],
            school=county["town_a"],
            title="损坏的文件",
            uploaded=SimpleUploadedFile("broken.mp4", b"not a video" * 50),
        )
    assert Video.objects.get(pk=ready.pk).status == VideoStatus.READY
    assert Video.objects.get(pk=broken.pk).status == VideoStatus.FAILED
    context = media_chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(30_000)
    logged_in(context, live_server.url, "staff_a")
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/videos/")
    assert page.get_by_test_id("vod-row").count() == 2
    shot(page, "vod-list")

    page.goto(f"{live_server.url}/admin/videos/{ready.pk}/")
    page.get_by_test_id("vod-player").scroll_into_view_if_needed()
    page.evaluate(
        "() => { const v = document.querySelector('[data-testid=vod-player]'); v.muted = true; v.play(); }"
    )
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=vod-player]');"
        " return v.videoWidth > 0 && v.currentTime > 1 }"
    )
    assert page.get_by_test_id("vod-status").inner_text() == "已完成"
    shot(page, "vod-ready")

    page.goto(f"{live_server.url}/admin/videos/{broken.pk}/")
    assert "Invalid data" in page.get_by_test_id("vod-error").inner_text()
    shot(page, "vod-failed")
    page.get_by_test_id("vod-retry").click()
    page.get_by_text("视频将重新处理。").wait_for()
    assert Video.objects.get(pk=broken.pk).attempts == 2
    context.close()
