"""The 视频 admin pages: scoped list (query count flat), upload through the form, progress polled,
failure with retry, details, delete, a session's recording; every URL refuses whoever may not see it."""

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.vod import storage
from lms.vod.models import Video, VideoOrigin, VideoStatus
from tests.vod.conftest import generated_video, need_ffmpeg, ready_video, recording_of, session_of_class

pytestmark = pytest.mark.django_db
INDEX = reverse("vod_admin:index")
UPLOAD = reverse("vod_admin:upload")


def urls_of(video):
    return [
        reverse("vod_admin:video", args=[video.pk]),
        reverse("vod_admin:state", args=[video.pk]),
        reverse("vod_admin:delete", args=[video.pk]),
    ]


def listed(response) -> set[int]:
    soup = BeautifulSoup(response.content, "html.parser")
    return {int(row["data-video"]) for row in soup.select("[data-testid=vod-row]")}


def test_the_list_is_scoped_to_the_schools_the_user_runs(client, county):
    city = ready_video(county["city"], folder_files=False)
    video_a = ready_video(county["town_a"], folder_files=False)
    video_b = ready_video(county["town_b"], folder_files=False)
    for user, expected in [
        ("staff_a", {video_a.pk}),
        ("staff_b", {video_b.pk}),
        ("city_staff", {city.pk, video_a.pk, video_b.pk}),
        ("org", {city.pk, video_a.pk, video_b.pk}),
    ]:
        client.force_login(county[user])
        response = client.get(INDEX)
        assert response.status_code == 200
        assert listed(response) == expected, user


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_with_more_videos(client, county):
    client.force_login(county["staff_a"])
    session = session_of_class(county)
    recording_of(session, folder_files=False)
    for _ in range(3):
        ready_video(county["town_a"], folder_files=False)
    few = list_queries(client)
    for _ in range(40):
        ready_video(county["town_a"], folder_files=False)
    for index in range(5):
        recording_of(
            session_of_class(county, day=session.starts_at.date().replace(day=2 + index)), folder_files=False
        )
    many = list_queries(client)
    assert many == few
    assert len(listed(client.get(INDEX))) == 25  # a page


@pytest.mark.parametrize("who", ["anonymous", "member", "other_staff"])
def test_nobody_else_reaches_a_videos_pages(client, county, who):
    video = ready_video(county["town_a"], folder_files=False)
    session = session_of_class(county)
    recording = recording_of(session, folder_files=False)
    if who == "member":
        client.force_login(county["member_a"].user)
    elif who == "other_staff":
        client.force_login(county["staff_b"])
    pages = urls_of(video) + [
        reverse("vod_admin:session", args=[session.pk]),
        reverse("vod_admin:video", args=[recording.pk]),
    ]
    for url in pages:
        response = client.get(url)
        if who == "other_staff":
            assert response.status_code == 404, url
        else:
            assert response.status_code in (302, 403), url
            assert not response.headers.get("Location", "").startswith(url)
    for url in (reverse("vod_admin:retry", args=[video.pk]), reverse("vod_admin:delete", args=[video.pk])):
        assert client.post(url).status_code in (302, 403, 404)
    assert Video.objects.filter(pk=video.pk).exists()
    if who != "other_staff":
        assert client.get(INDEX).status_code in (302, 403)
        assert client.get(UPLOAD).status_code in (302, 403)


def test_upload_through_the_form_then_the_page_shows_the_preview(
    client, county, tmp_path, django_capture_on_commit_callbacks
):
    need_ffmpeg()
    client.force_login(county["staff_a"])
    form = BeautifulSoup(client.get(UPLOAD).content, "html.parser")
    schools = {option.text for option in form.select("select[name=school] option")}
    assert schools == {county["town_a"].title}
    source = generated_video(tmp_path / "课程.mp4", seconds=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            UPLOAD,
            {
                "title": "学习党章",
                "school": county["town_a"].pk,
                "published": "on",
                "file": SimpleUploadedFile("课程.mp4", source.read_bytes(), content_type="video/mp4"),
            },
        )
    video = Video.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("vod_admin:video", args=[video.pk])
    assert (video.status, video.published, video.origin) == (VideoStatus.READY, True, VideoOrigin.UPLOAD)
    page = BeautifulSoup(client.get(response["Location"]).content, "html.parser")
    player = page.select_one("[data-testid=vod-player]")
    assert player and player["data-src"].endswith(f"/{video.folder}/master.m3u8")
    assert client.get(player["data-src"]).status_code == 200
    assert client.get(player["poster"]).status_code == 200
    state = page.select_one("[data-testid=vod-state]")
    assert state["data-status"] == "ready" and not state.get("hx-trigger")


def test_the_upload_form_says_what_is_wrong(client, county, settings):
    settings.VOD_UPLOAD_MAX_MB = 1
    client.force_login(county["staff_a"])
    response = client.post(
        UPLOAD,
        {
            "title": "",
            "school": county["town_b"].pk,
            "file": SimpleUploadedFile("a.mp4", b"0" * (1024 * 1024 + 1)),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"title", "school", "file"}
    assert "1 MB" in errors["file"][0]
    assert not Video.objects.exists()


def test_processing_shows_a_polled_progress_bar_and_a_failure_a_reason_and_retry(
    client, county, django_capture_on_commit_callbacks
):
    need_ffmpeg()
    client.force_login(county["staff_a"])
    video = ready_video(county["town_a"], folder_files=False)
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROCESSING, progress=42, duration=None)
    fragment = BeautifulSoup(client.get(reverse("vod_admin:state", args=[video.pk])).content, "html.parser")
    state = fragment.select_one("[data-testid=vod-state]")
    assert state["hx-get"] == reverse("vod_admin:state", args=[video.pk]) and "every" in state["hx-trigger"]
    assert fragment.select_one("[data-testid=vod-progress]")["value"] == "42"
    assert not fragment.select("[data-testid=vod-retry]")  # the worker is at it
    # It fails: the reason and a retry button, no more polling.
    source = storage.source_path(video.folder, "broken.mp4")
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(b"broken")
    Video.objects.filter(pk=video.pk).update(
        status=VideoStatus.FAILED,
        source_name="broken.mp4",
        error="ffprobe exited with status 1\nInvalid data",
    )
    page = BeautifulSoup(client.get(reverse("vod_admin:video", args=[video.pk])).content, "html.parser")
    assert "Invalid data" in page.select_one("[data-testid=vod-error]").text
    assert not page.select_one("[data-testid=vod-state]").get("hx-trigger")
    assert page.select("[data-testid=vod-retry]")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("vod_admin:retry", args=[video.pk]))
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED and video.attempts == 1  # ran again, failed again
    assert "ffprobe" in video.error


def test_details_delete_and_the_sessions_recording(client, county, django_capture_on_commit_callbacks):
    client.force_login(county["staff_a"])
    video = ready_video(county["town_a"])
    url = reverse("vod_admin:video", args=[video.pk])
    response = client.post(url, {"title": "新标题", "description": "说明", "published": "on"})
    assert response.status_code == 302
    video.refresh_from_db()
    assert (video.title, video.description, video.published) == ("新标题", "说明", True)
    assert client.post(url, {"title": ""}).status_code == 200  # the form says the title is missing
    session = session_of_class(county)
    recording = recording_of(session)
    assert client.get(reverse("vod_admin:session", args=[session.pk]))["Location"] == reverse(
        "vod_admin:video", args=[recording.pk]
    )
    page = client.get(reverse("vod_admin:video", args=[recording.pk]))
    assert reverse("attendance_rollcall:session", args=[session.pk]).encode() in page.content
    folder = storage.folder_path(video.folder)
    assert client.get(reverse("vod_admin:delete", args=[video.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("vod_admin:delete", args=[video.pk])).status_code == 302
    assert not Video.objects.filter(pk=video.pk).exists() and not folder.exists()
