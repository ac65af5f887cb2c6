"""Staff pages: per video viewers, completion, average share and the drop-off curve; who still owes
make-up; the XLSX; the department's rules; scoping by role; query counts that do not grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.attendance import services as attendance
from lms.learning.models import StudyRule, WatchProgress
from lms.learning.watched import to_bits, to_bytes
from tests import factories
from tests.exports.helpers import download_export, file_rows
from tests.learning.conftest import MIDDAY


def watched_by(member, video, seconds_watched, completed=False):
    seconds = int(video.duration)
    return WatchProgress.objects.create(
        member=member,
        video=video,
        watched=to_bytes(to_bits([(0, seconds_watched)], seconds), seconds),
        watched_seconds=seconds_watched,
        position=seconds_watched,
        completed_at=MIDDAY if completed else None,
        last_watched_at=MIDDAY,
    )


def add_absent(missed, count, branch=None):
    members = [factories.MemberFactory(branch=branch or missed["branch_a"]) for _ in range(count)]
    missed["enrol"](members)
    for member in members:
        attendance.attendance_mark(
            actor=missed["org"],
            session=missed["lecture"],
            member=member,
            status="absent",
            now=missed["lecture"].ends_at,
        )
    return members


def test_video_figures_and_curve(missed, client):
    recording = missed["recording"]  # 1,800 s
    watched_by(missed["member_a"], recording, 1800, completed=True)
    watched_by(missed["member_b"], recording, 900)
    client.force_login(missed["org"])
    response = client.get(f"/admin/learning/{recording.pk}/")
    assert response.status_code == 200
    context = response.context
    assert (context["figures"].viewers, context["completion_percent"], context["average_percent"]) == (
        2,
        50,
        75,
    )
    assert [point["percent"] for point in context["curve"]] == [100] * 10 + [50] * 10
    html = response.content.decode()
    assert "echarts.min.js" in html and 'id="dropoff-data"' in html
    listing = client.get("/admin/learning/")
    row = next(v for v in listing.context["page"].object_list if v.pk == recording.pk)
    assert (row.viewer_count, row.completion_percent, row.average_percent) == (2, 50, 75)


def test_township_staff_see_their_townships_viewers_and_owed_members_only(missed, client):
    recording = missed["recording"]
    watched_by(missed["member_a"], recording, 600)
    watched_by(missed["member_b"], recording, 1800)  # another township's member
    migrant_a = factories.MemberFactory(branch=missed["branch_a"], is_migrant=True)
    factories.MemberFactory(branch=missed["branch_b"], is_migrant=True)  # not the class's township
    client.force_login(missed["staff_a"])
    response = client.get(f"/admin/learning/{recording.pk}/")
    assert response.context["figures"].viewers == 1
    owed = {member.pk for member in response.context["page"].object_list}
    assert owed == {missed["member_a"].pk, migrant_a.pk}
    client.force_login(missed["staff_b"])
    assert client.get(f"/admin/learning/{recording.pk}/").status_code == 404
    client.force_login(missed["member_a"].user)
    assert client.get(f"/admin/learning/{recording.pk}/").status_code in (302, 403)


def test_makeup_xlsx_lists_who_still_owes(missed, client):
    recording = missed["recording"]
    watched_by(missed["member_a"], recording, 450)
    client.force_login(missed["staff_a"])
    response = download_export(client, f"/admin/learning/{recording.pk}/", {"export": "xlsx"})
    rows = file_rows(response, "xlsx")
    assert rows[0][2] == "姓名"  # headings in the export's language
    assert rows[1][2] == missed["member_a"].name and rows[1][6] == 25
    assert len(rows) == 2


def test_made_up_members_leave_the_list(missed, client, player):
    player(missed["member_a"], missed["recording"]).play(0, 1650, step=15)
    client.force_login(missed["staff_a"])
    response = client.get(f"/admin/learning/{missed['recording'].pk}/")
    assert list(response.context["page"].object_list) == []


def test_queries_do_not_grow_with_viewers_or_videos(missed, client):
    recording = missed["recording"]
    client.force_login(missed["staff_a"])

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for member in add_absent(missed, 3):
        watched_by(member, recording, 300)
    few = count(f"/admin/learning/{recording.pk}/"), count("/admin/learning/")
    for member in add_absent(missed, 12):
        watched_by(member, recording, 900)
    from tests.learning.conftest import make_video

    for _ in range(5):
        make_video(missed["town_a"])
    many = count(f"/admin/learning/{recording.pk}/"), count("/admin/learning/")
    assert many == few


def test_rules_page_is_for_the_organization_department(county, client):
    client.force_login(county["staff_a"])
    assert client.get("/admin/learning/rules/").status_code in (302, 403)
    client.force_login(county["org"])
    year = timezone.localdate().year
    assert client.get("/admin/learning/rules/").status_code == 200
    response = client.post(
        "/admin/learning/rules/",
        {"year": year, "category": "ordinary", "content": "recordings", "share": 95, "cap_hours": "20"},
    )
    assert response.status_code == 302
    rule = StudyRule.objects.get(year=year, category="ordinary")
    assert (rule.content, rule.share, str(rule.cap_hours)) == ("recordings", 95, "20.0")
    bad = client.post(
        "/admin/learning/rules/", {"year": year, "category": "ordinary", "content": "all", "share": 0}
    )
    assert bad.status_code == 200 and bad.context["form"].errors


@pytest.fixture(autouse=True)
def _midday(frozen_clock):
    frozen_clock.move_to(MIDDAY)
