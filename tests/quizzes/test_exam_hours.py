"""The department's yearly setting for exam sessions in every hours reader: in a year where exams do not
count, an exam session's attendance is shown in the member's ledger ("not counted (department's
setting)") and credited nowhere; in a year where they count (the default) it is credited like any
session. Each reader agrees with the member's own ledger, at the same number of queries either way."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.attendance import selectors as hours
from lms.attendance.admin.reports_townships import township_summary
from lms.attendance.models import AttendanceSource
from lms.people.models import Member, MemberCategory
from lms.quizzes.models import YearSetting
from lms.scheduling.models import Session, SessionKind
from lms.stats import selectors as stats
from tests import factories
from tests.attendance.conftest import attend, classes, on  # noqa: F401

OFF, ON = 2025, 2026  # exams do not count in OFF (the department's setting), count in ON (default)


@pytest.fixture
def years(county, classes):  # noqa: F811
    """In each year a one-day class at township A (six one-hour sessions) with a one-hour exam session
    after them. Members of township A: `short` attended five lectures and the exam (six hours with the
    exam, five without), `full` all six lectures and the exam, `cadre` (needs 12 hours) all and the
    exam; `exam_only` only the exam; member_b (township B) nothing."""
    YearSetting.objects.create(year=OFF, exam_counts_toward_hours=False, second_marker_for_exams=True)
    YearSetting.objects.create(year=ON + 1, exam_counts_toward_hours=False)  # another year's choice
    members = {
        "short": factories.MemberFactory(branch=county["branch_a"]),
        "full": factories.MemberFactory(branch=county["branch_a"]),
        "cadre": factories.MemberFactory(branch=county["branch_a"], category=MemberCategory.VILLAGE_CADRE),
        "exam_only": factories.MemberFactory(branch=county["branch_a"]),
    }
    exams = {}
    for year in (OFF, ON):
        training_class = classes(county["town_a"], on(year, 5, 12))
        lectures = list(training_class.sessions.order_by("starts_at"))
        last = lectures[-1]
        exam = Session.objects.create(
            training_class=training_class,
            kind=SessionKind.EXAM,
            starts_at=last.ends_at + timedelta(minutes=30),
            ends_at=last.ends_at + timedelta(minutes=90),
            sort_order=99,
        )
        exams[year] = exam
        for session in lectures[:5]:
            attend(members["short"], session)
        for session in lectures:
            attend(members["full"], session)
            attend(members["cadre"], session)
        for member in members.values():
            attend(member, exam)
    return {**county, **members, "members": members, "exams": exams}


def everyone(years):
    return [*years["members"].values(), years["member_a"], years["member_b"]]


@pytest.mark.parametrize("year", [OFF, ON])
def test_the_ledger_shows_the_exam_and_credits_it_only_when_the_year_counts_exams(years, year):
    counts = year == ON
    short = hours.member_ledger(years["short"], year)
    exam_record = next(r for r in short.records if r.session_id == years["exams"][year].pk)
    assert len(short.records) == 6  # the exam is listed either way
    assert exam_record.counts is counts
    assert exam_record.not_counted_note == ("" if counts else hours.NOT_COUNTED_BY_SETTING)
    assert short.counted_minutes == short.total_minutes == (360 if counts else 300)
    assert short.minutes_by_source == {AttendanceSource.QR: 360 if counts else 300}
    assert short.met is counts
    exam_only = hours.member_ledger(years["exam_only"], year)
    assert (exam_only.counted_minutes, exam_only.total_minutes) == ((60, 60) if counts else (0, 0))
    assert exam_only.minutes_by_source == ({AttendanceSource.QR: 60} if counts else {})
    # Still trained at a party school for the five-year rotation: the setting is about hours.
    assert exam_only.rotation_met


@pytest.mark.parametrize("year", [OFF, ON])
def test_every_hours_reader_agrees_with_the_ledgers(years, year):
    ledgers = {member.pk: hours.member_ledger(member, year) for member in everyone(years)}
    expected = {
        pk: (led.counted_minutes, led.total_minutes, led.required_minutes) for pk, led in ledgers.items()
    }

    annotated = {
        m.pk: (m.counted_minutes, m.total_minutes, m.required_minutes)
        for m in hours.members_with_hours(years["org"], year)
    }
    assert annotated == expected

    fetched = list(Member.objects.filter(pk__in=expected).select_related("branch"))
    chunk = {
        m.pk: (m.counted_minutes, m.total_minutes, m.required_minutes)
        for m in hours.with_hours(fetched, year)
    }
    assert chunk == expected

    met = {pk for pk, ledger in ledgers.items() if ledger.met}
    meeting = set(
        Member.objects.filter(pk__in=hours.members_meeting_requirement(year)).values_list("pk", flat=True)
    )
    assert meeting == met
    behind = set(hours.members_behind(years["org"], year).values_list("pk", flat=True))
    assert behind == set(expected) - met
    # short met only with the exam; full and exam_only show the difference in minutes
    assert (years["short"].pk in met) is (year == ON)

    _rows, total = township_summary(years["org"], year)
    assert total.met == len(met)

    place = stats.home_place(years["org"])
    _rows, coverage = stats.coverage(place, year)
    assert coverage.met == len(met)
    months = stats.coverage_by_month(place, year)
    assert months[-1]["met"] == len(met) and months[4]["met"] == len(met)  # met in May
    # exam_only trained in May only through the exam
    assert months[4]["trained"] == (4 if year == ON else 3)
    _rows, participation = stats.participation(place, year)
    assert sum(participation.minutes.values()) == sum(led.total_minutes for led in ledgers.values())

    page, _count = stats.members_page(stats.branch_place(years["org"], years["branch_a"].pk), year)
    assert {m.pk: (m.counted_minutes, m.met) for m in page} == {
        pk: (ledgers[pk].counted_minutes, ledgers[pk].met) for pk in (m.pk for m in page)
    }


def count(function, *args) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = function(*args)
        if hasattr(result, "__iter__") and not isinstance(result, (dict, str)):
            list(result)
    return len(captured)


def test_the_setting_costs_no_query_more_in_any_reader(years):
    """The setting is read inside each reader's own query: the same counts in a year where exams
    count, one where they don't, and a year with no setting stored."""
    member = years["short"]
    place = stats.home_place(years["org"])
    readers = {
        "ledger": (hours.member_ledger, member),
        "members_with_hours": (hours.members_with_hours, years["org"]),
        "behind": (hours.members_behind, years["org"]),
        "with_hours": (lambda year: hours.with_hours(list(Member.objects.select_related("branch")), year),),
        "coverage": (stats.coverage, place),
        "months": (stats.coverage_by_month, place),
        "participation": (stats.participation, place),
    }
    for name, (function, *args) in readers.items():
        for year in (OFF, ON, ON - 3):  # warm: content types, and the stats' monthly sums of a year
            count(function, *args, year)  # are made by their first reader
        figures = {year: count(function, *args, year) for year in (OFF, ON, ON - 3)}
        if name == "ledger":
            # The member attended in OFF and ON, not in ON - 3: with no record of its own, a year looks
            # back over the rotation for the last day attended, one query more whatever the setting.
            figures[ON - 3] -= 1
        assert figures[OFF] == figures[ON] == figures[ON - 3], name


@pytest.mark.parametrize("year", [OFF, ON])
def test_my_hours_page_and_api_mark_the_exam(client, years, year):
    client.force_login(years["short"].user)
    page = client.get("/me/hours/", {"year": year}).content.decode()
    api = client.get("/api/v1/me/hours", {"year": year}).json()
    exam = years["exams"][year].pk
    assert next(r for r in api["records"] if r["session_id"] == exam)["counts"] is (year == ON)
    assert api["counted_hours"] == (6 if year == ON else 5)
    marked = f'data-session="{exam}" data-counts="0"' in page
    assert marked is (year == OFF)
    assert ('data-testid="not-counted-note"' in page) is (year == OFF)
    # The class's own figure: six hours attended (five lectures and the exam), of which five count
    # in the year that leaves exams out; in the other year the class counts whole.
    partly = re.search(r'data-testid="class-counted-hours">([^<]*)<', page)
    assert (partly is not None) is (year == OFF)
    if partly:
        assert "5.0" in partly.group(1)


def test_the_department_sets_the_year_on_its_page_and_the_ledger_follows(client, years):
    client.force_login(years["staff_a"])
    assert client.get("/admin/quizzes/years/").status_code in (302, 403)
    refused = client.post("/admin/quizzes/years/", {"year": ON, "exam_counts_toward_hours": ""})
    assert refused.status_code in (302, 403) and not YearSetting.objects.filter(year=ON).exists()
    assert hours.member_ledger(years["short"], ON).met
    client.force_login(years["org"])
    page = client.get("/admin/quizzes/years/").content.decode()
    assert 'data-testid="year-settings"' in page
    response = client.post("/admin/quizzes/years/", {"year": ON, "second_marker_for_exams": "on"})
    assert response.status_code == 302
    setting = YearSetting.objects.get(year=ON)
    assert not setting.exam_counts_toward_hours and setting.second_marker_for_exams
    assert not hours.member_ledger(years["short"], ON).met
    client.post("/admin/quizzes/years/", {"year": ON, "exam_counts_toward_hours": "on"})
    assert hours.member_ledger(years["short"], ON).met
