"""Make-up (补学) from a recording, migrant members, the department's online study rules and caps, and
online study in the yearly hours ledger."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lms.attendance import selectors as hours
from lms.attendance.models import AttendanceRecord, OnlineStudy
from lms.learning import selectors, services
from lms.learning.models import StudyContent
from tests.learning.conftest import MIDDAY, make_video

YEAR = 2026


def test_watching_the_recording_makes_up_a_missed_session(missed, player):
    member, recording, lecture = missed["member_a"], missed["recording"], missed["lecture"]
    assert list(selectors.makeup_owed(member)) == [recording]
    p = player(member, recording)
    p.play(0, 1500, step=15)  # 83 %: not yet
    record = AttendanceRecord.objects.get(session=lecture, member=member)
    assert record.status == "absent"
    results = p.play(1500, 1650, step=15)  # 91.7 %
    assert any(r.made_up for r in results)
    record.refresh_from_db()
    assert (record.status, record.source, record.minutes) == ("present", "replay", 27)
    change = record.changes.order_by("-id").first()
    assert (change.old_status, change.new_status, change.new_source) == ("absent", "present", "replay")
    assert list(selectors.makeup_owed(member)) == []
    # The make-up credits the session, not online study as well.
    assert not OnlineStudy.objects.filter(member=member).exists()
    ledger = hours.member_ledger(member, YEAR)
    assert ledger.minutes_by_source == {"replay": 27}


def test_excused_members_owe_make_up_too(missed):
    from lms.attendance.services import _write

    member, lecture = missed["member_a"], missed["lecture"]
    _write(
        session=lecture,
        member=member,
        status="excused",
        source="leave",
        minutes=0,
        actor=None,
        now=lecture.ends_at,
    )
    assert list(selectors.makeup_owed(member)) == [missed["recording"]]


def test_migrant_members_are_offered_every_recorded_session_of_their_township(missed, player):
    from tests import factories

    migrant = factories.MemberFactory(branch=missed["branch_a"], is_migrant=True)
    stay_at_home = factories.MemberFactory(branch=missed["branch_a"])
    elsewhere = factories.MemberFactory(branch=missed["branch_b"], is_migrant=True)
    recording = missed["recording"]
    assert list(selectors.makeup_owed(migrant)) == [recording]
    assert list(selectors.makeup_owed(stay_at_home)) == []
    assert list(selectors.makeup_owed(elsewhere)) == []
    player(migrant, recording).play(0, 1650, step=15)
    record = AttendanceRecord.objects.get(session=missed["lecture"], member=migrant)
    assert (record.status, record.source) == ("present", "replay")
    assert record.changes.count() == 1


def test_rules_decide_which_videos_count(county, player):
    member, org = county["member_a"], county["org"]
    upload = make_video(county["town_a"], duration=300.0)
    marked = make_video(county["town_a"], duration=300.0, title="标记的")
    with pytest.raises(PermissionDenied):
        services.study_rule_set(
            actor=county["staff_a"], year=YEAR, category="ordinary", content="all", share=90
        )
    services.study_rule_set(
        actor=org, year=YEAR, category="ordinary", content=StudyContent.RECORDINGS, share=90
    )
    player(member, upload).play(0, 120)
    assert not OnlineStudy.objects.filter(member=member).exists()
    services.study_rule_set(
        actor=org,
        year=YEAR,
        category="ordinary",
        content=StudyContent.MARKED,
        share=50,
        marked_videos=[marked],
    )
    player(member, marked).play(0, 160)
    assert OnlineStudy.objects.get(member=member, video=marked).minutes == 2
    assert selectors.completed_video_ids(member, [marked.pk]) == {marked.pk}  # 50 % was enough
    with pytest.raises(ValidationError):
        services.study_rule_set(actor=org, year=YEAR, category="ordinary", content="all", share=0)
    with pytest.raises(ValidationError):
        services.study_rule_set(actor=org, year=YEAR, category="ordinary", content="nonsense", share=90)


def test_yearly_cap_on_online_hours(county, player):
    member = county["member_a"]
    services.study_rule_set(
        actor=county["org"], year=YEAR, category="ordinary", content="all", share=90, cap_hours=Decimal("0.1")
    )  # 6 minutes
    first = make_video(county["town_a"], duration=600.0)
    second = make_video(county["town_a"], duration=600.0)
    player(member, first).play(0, 300, step=15)
    player(member, second).play(0, 300, step=15)
    assert sum(OnlineStudy.objects.filter(member=member).values_list("minutes", flat=True)) == 6
    assert hours.member_ledger(member, YEAR).minutes_by_source == {"online": 6}


def test_online_study_counts_in_the_yearly_hours(county, player):
    member = county["member_a"]
    services.study_rule_set(actor=county["org"], year=YEAR, category="ordinary", content="all", share=90)
    from lms.attendance import services as attendance

    attendance.requirement_rule_set(
        actor=county["org"], year=YEAR, category="ordinary", hours=Decimal("0.1"), scope="township"
    )
    video = make_video(county["town_a"], duration=600.0)
    assert member in hours.members_behind(county["org"], YEAR)
    player(member, video).play(0, 240, step=15)
    ledger = hours.member_ledger(member, YEAR)
    assert (ledger.minutes_by_source, ledger.total_minutes, ledger.counted_minutes) == ({"online": 4}, 4, 4)
    row = hours.members_with_hours(county["org"], YEAR).get(pk=member.pk)
    assert (row.total_minutes, row.counted_minutes) == (4, 4)
    (listed,) = hours.with_hours([member], YEAR)
    assert (listed.total_minutes, listed.counted_minutes) == (4, 4)
    assert member in hours.members_behind(county["org"], YEAR)  # 4 of 6 minutes
    player(member, video).play(240, 400, step=15)
    assert member not in hours.members_behind(county["org"], YEAR)
    assert county["member_b"] in hours.members_behind(county["org"], YEAR)


def test_members_owing_make_up_are_reminded_once(missed, frozen_clock):
    from django.core.management import call_command

    from lms.notifications.models import Notification
    from tests import factories

    migrant = factories.MemberFactory(branch=missed["branch_a"], is_migrant=True)
    frozen_clock.move_to(MIDDAY)  # two days after the lecture
    call_command("learning_makeup_reminders")
    call_command("learning_makeup_reminders")
    told = Notification.objects.filter(kind="makeup_owed")
    assert sorted(told.values_list("user_id", flat=True)) == sorted(
        [missed["member_a"].user_id, migrant.user_id]
    )
    assert told.first().url == f"/me/videos/{missed['recording'].pk}/"
