"""The sealed ballot box: answers wait encrypted while an evaluation is open, and are counted all at once
when it closes, so that the database alone never links an answer to a member."""

import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.urls import reverse

from lms.evaluation import ballot_box, counting, results, services
from lms.evaluation.models import AnswerTally, Ballot, SessionEvaluation, Submission, TextAnswer
from tests import factories
from tests.attendance.conftest import attend, enrol_ahead
from tests.evaluation.conftest import make_taught
from tests.evaluation.helpers import answer_all, close, sheet
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

# Six members answer in this order, each differently (comments of different lengths).
OVERALL = [1, 2, 3, 4, 5, 5]
OTHERS = [3, 4, 5, 1, 2, 4]
COMMENTS = [f"第{index + 1}位学员的意见：" + "讲得" * (index * 7 + 1) for index in range(6)]


def _answer(taught, evaluation, index, now):
    services.evaluation_submit(
        user=taught["members"][index].user,
        session=taught["lecture"],
        answers=sheet(evaluation, overall=OVERALL[index], others=OTHERS[index], comment=COMMENTS[index]),
        now=now,
    )


def _all_answer(taught):
    now = taught["after"](1)
    evaluation = services.evaluation_open(session=taught["lecture"], now=now)
    for index in range(len(OVERALL)):
        _answer(taught, evaluation, index, now)
    return evaluation


def _overall(evaluation) -> dict[int, int]:
    return dict(
        AnswerTally.objects.filter(evaluation=evaluation, question__code="overall", count__gt=0).values_list(
            "value", "count"
        )
    )


def test_answers_wait_sealed_and_unreadable_while_the_evaluation_is_open(taught):
    evaluation = _all_answer(taught)

    assert Submission.objects.filter(evaluation=evaluation).count() == 6
    blobs = [
        bytes(blob) for blob in Ballot.objects.filter(evaluation=evaluation).values_list("sealed", flat=True)
    ]
    assert len(blobs) == 6
    assert not TextAnswer.objects.exists()
    assert not AnswerTally.objects.filter(evaluation=evaluation, count__gt=0).exists()
    for blob in blobs:
        for comment in COMMENTS:
            assert comment.encode() not in blob
            assert comment[:4].encode() not in blob
            assert json.dumps(comment)[1:6].encode() not in blob
        assert b'"' not in blob[:1] and blob[:1] == ballot_box.FORMAT
    # Comments from 10 to 93 characters, the same size sealed: the size tells nothing.
    assert len({len(blob) for blob in blobs}) == 1
    # Random keys, no member, no time.
    assert {str(pk)[14] for pk in Ballot.objects.values_list("pk", flat=True)} == {"4"}
    assert {field.name for field in Ballot._meta.concrete_fields} == {"id", "evaluation", "sealed"}


def test_closing_counts_every_ballot_once_and_empties_the_box(taught, settings):
    settings.EVALUATION_MIN_RESPONSES = 5
    evaluation = _all_answer(taught)
    closed = evaluation.closes_at

    waiting = results.session_result(evaluation, now=closed)
    assert waiting.is_closed and waiting.is_counting and not waiting.is_shown
    assert results.teacher_year_result(taught["teacher"], 2026, now=closed).responses == 0

    assert counting.evaluations_count_closed(now=closed - timedelta(seconds=1)).counted == []
    report = counting.evaluations_count_closed(now=closed)
    assert (report.counted, report.ballots, report.refused) == ([evaluation.pk], 6, [])
    assert not Ballot.objects.exists()
    assert SessionEvaluation.objects.get(pk=evaluation.pk).ballots_counted
    assert _overall(evaluation) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}
    assert sorted(TextAnswer.objects.values_list("text", flat=True)) == sorted(COMMENTS)

    shown = results.session_result(evaluation, now=closed)
    assert shown.is_shown and shown.responses == 6 and shown.satisfaction.answered == 6
    assert sorted(shown.questions[-1].comments) == sorted(COMMENTS)
    assert results.teacher_year_result(taught["teacher"], 2026, now=closed).responses == 6

    # A second sweep finds nothing to do and changes nothing.
    again = counting.evaluations_count_closed(now=closed + timedelta(days=1))
    assert (again.counted, again.ballots) == ([], 0)
    assert _overall(evaluation) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}


def test_no_answer_is_taken_once_the_ballots_are_counted(taught):
    """Counting takes the evaluation's lock and marks it counted: nobody slips a ballot in after the
    count, even a member whose answer was checked before `closes_at`."""
    evaluation = _all_answer(taught)
    counting.evaluation_count(evaluation_id=evaluation.pk)
    member = factories.MemberFactory(branch=taught["branch_a"])
    enrol_ahead(taught["training_class"], [member], taught["org"])
    attend(member, taught["lecture"])
    with pytest.raises(services.EvaluationRefused) as refused:
        services.evaluation_submit(
            user=member.user, session=taught["lecture"], answers=sheet(evaluation), now=taught["after"](2)
        )
    assert refused.value.reason == "closed"
    assert not Ballot.objects.exists() and Submission.objects.filter(member=member).count() == 0


def test_evaluations_without_ballots_are_marked_counted_together(taught):
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    report = counting.evaluations_count_closed(now=evaluation.closes_at)
    assert report.counted == [] and report.ballots == 0
    assert SessionEvaluation.objects.get(pk=evaluation.pk).ballots_counted


def test_a_ballot_opens_only_for_its_own_evaluation(taught):
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    questions = services.evaluation_questions(evaluation)
    answers = services.clean_answers(questions, sheet(evaluation, comment="很好"))
    sealed = ballot_box.seal(evaluation_id=evaluation.pk, questions=questions, answers=answers)
    assert ballot_box.unseal(evaluation_id=evaluation.pk, sealed=sealed) == {
        key: value for key, value in answers.items() if value is not None
    }
    with pytest.raises(ballot_box.BallotUnreadable):
        ballot_box.unseal(evaluation_id=evaluation.pk + 1, sealed=sealed)
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(ballot_box.BallotUnreadable):
        ballot_box.unseal(evaluation_id=evaluation.pk, sealed=bytes(tampered))


def test_a_wrong_key_cannot_open_the_box_and_the_sweep_keeps_every_ballot(taught, settings):
    settings.EVALUATION_BALLOT_KEY = "the key of the day the members answered"
    evaluation = _all_answer(taught)
    closed = evaluation.closes_at

    settings.EVALUATION_BALLOT_KEY = "another key"
    with pytest.raises(counting.BallotsUnreadable, match="EVALUATION_BALLOT_KEY"):
        counting.evaluation_count(evaluation_id=evaluation.pk)
    report = counting.evaluations_count_closed(now=closed)
    assert report.counted == [] and [error.evaluation_id for error in report.refused] == [evaluation.pk]
    assert "Nothing was counted or deleted" in str(report.refused[0])
    assert Ballot.objects.filter(evaluation=evaluation).count() == 6
    assert not AnswerTally.objects.filter(evaluation=evaluation, count__gt=0).exists()
    assert not TextAnswer.objects.exists()
    assert not SessionEvaluation.objects.get(pk=evaluation.pk).ballots_counted
    assert results.session_result(evaluation, now=closed).is_counting
    with pytest.raises(CommandError, match="cannot be opened"):
        call_command("evaluation_sweep", stdout=io.StringIO())

    settings.EVALUATION_BALLOT_KEY = "the key of the day the members answered"
    assert counting.evaluations_count_closed(now=closed).ballots == 6
    assert _overall(evaluation) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}


def test_without_a_ballot_key_the_secret_key_seals(taught, settings):
    settings.EVALUATION_BALLOT_KEY = ""
    evaluation = _all_answer(taught)
    settings.SECRET_KEY = "a different secret key, 50 characters long or more......"
    with pytest.raises(counting.BallotsUnreadable):
        counting.evaluation_count(evaluation_id=evaluation.pk)


# --- What the audit did, on PostgreSQL -------------------------------------------------------------


def _xmins(sql: str, params=()) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(row[0]) for row in cursor.fetchall()}


def _pageinspect() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        return True
    except DatabaseError:  # refused: not a superuser, or the extension is not installed
        return False


def _relations(table: str) -> list[str]:
    """The table and its TOAST table (where long ballots go)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = %s::regclass", [table])
        toast = cursor.fetchone()[0]
    return [table] + ([toast] if toast and toast != "-" else [])


def _pages(relation: str) -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int", [relation]
        )
        blocks = cursor.fetchone()[0]
        pages = []
        for block in range(blocks):
            cursor.execute("SELECT get_raw_page(%s, %s)", [relation, block])
            pages.append(bytes(cursor.fetchone()[0]))
        return pages


def _tuple_xmins(relation: str) -> set[str]:
    """The transaction ids of every row version on the pages, live or dead."""
    found = set()
    with connection.cursor() as cursor:
        for block in range(len(_pages(relation))):
            cursor.execute(
                "SELECT t_xmin FROM heap_page_items(get_raw_page(%s, %s)) WHERE t_xmin IS NOT NULL",
                [relation, block],
            )
            found |= {str(row[0]) for row in cursor.fetchall()}
    return found


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_observer_cannot_link_any_answer_to_a_member(county):
    """Six members answer in a known order; the evaluation closes; then everything the audit tried:
    transaction ids (`xmin`) of live and dead row versions, physical order (`ctid`), keys and sequences
    of the who-answered, counter, comment and ballot tables, and the raw pages of the box."""
    need_postgres()
    taught = make_taught(county)
    still_open = make_taught(county, day=taught["lecture"].ends_at.date() + timedelta(days=3))
    tally_sequence = "SELECT last_value FROM evaluation_answertally_id_seq"
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    other = services.evaluation_open(session=still_open["lecture"], now=still_open["after"](1))
    tally_ids = set(AnswerTally.objects.filter(evaluation=evaluation).values_list("pk", flat=True))
    sequence_before = _xmins(tally_sequence)
    inspect = _pageinspect()

    for index in range(len(OVERALL)):
        _answer(taught, evaluation, index, taught["after"](1 + index))
        if index < 2:  # the other evaluation's box is not empty when this one is counted
            services.evaluation_submit(
                user=still_open["members"][index].user,
                session=still_open["lecture"],
                answers=sheet(other, comment="另一节课"),
                now=still_open["after"](1),
            )
    submissions = list(Submission.objects.filter(evaluation=evaluation).order_by("pk"))
    assert [s.member_id for s in submissions] == [m.pk for m in taught["members"]]  # the known order
    voter_xmins = _xmins("SELECT xmin FROM evaluation_submission WHERE evaluation_id = %s", [evaluation.pk])
    assert len(voter_xmins) == 6
    blobs = [bytes(b) for b in Ballot.objects.filter(evaluation=evaluation).values_list("sealed", flat=True)]

    # While open, the database holds no answer at all outside the sealed box.
    assert not TextAnswer.objects.exists()
    assert not AnswerTally.objects.filter(evaluation=evaluation, count__gt=0).exists()

    if inspect:  # first prove the probe: a deleted row's bytes stay on the page until the box is rewritten
        probe = b"PROBE-" + bytes(range(32))
        Ballot.objects.filter(pk=Ballot.objects.create(evaluation=other, sealed=probe).pk).delete()
        assert any(probe in page for page in _pages(Ballot._meta.db_table))

    report = counting.evaluations_count_closed(now=evaluation.closes_at)
    assert report.counted == [evaluation.pk] and report.ballots == 6 and report.box_rewritten
    assert Ballot.objects.filter(evaluation=other).count() == 2

    # xmin: every counter and comment of the evaluation was written by the one counting transaction,
    # which wrote no Submission.
    comment_xmins = _xmins("SELECT xmin FROM evaluation_textanswer WHERE evaluation_id = %s", [evaluation.pk])
    tally_xmins = _xmins("SELECT xmin FROM evaluation_answertally WHERE evaluation_id = %s", [evaluation.pk])
    assert len(comment_xmins) == 1 and tally_xmins == comment_xmins
    assert not comment_xmins & voter_xmins
    # ids and sequences: counters are the rows made at opening, no sequence moved per answer; comments
    # and ballots have random keys.
    assert set(AnswerTally.objects.filter(evaluation=evaluation).values_list("pk", flat=True)) == tally_ids
    assert _xmins(tally_sequence) == sequence_before
    assert {str(pk)[14] for pk in TextAnswer.objects.values_list("pk", flat=True)} == {"4"}
    # ctid: the comments went in together, in shuffled order (one insert, one transaction); the ballot
    # rows of the evaluation are gone.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT text FROM evaluation_textanswer WHERE evaluation_id = %s ORDER BY ctid", [evaluation.pk]
        )
        assert sorted(row[0] for row in cursor.fetchall()) == sorted(COMMENTS)
    assert not Ballot.objects.filter(evaluation=evaluation).exists()

    if not inspect:
        pytest.skip("pageinspect refused: live rows checked, dead row versions not")
    # Dead row versions: no version of a counter, comment or ballot shares a transaction with a voter.
    for table in ("evaluation_answertally", "evaluation_textanswer", *_relations(Ballot._meta.db_table)):
        assert not _tuple_xmins(table) & voter_xmins, table
    # ...and no byte of a counted ballot (nor of the deleted probe) is left on the box's pages.
    pages = [page for relation in _relations(Ballot._meta.db_table) for page in _pages(relation)]
    assert pages, "the other evaluation's ballots are still there"
    for blob in [*blobs, probe]:
        assert not any(blob[1:33] in page for page in pages)


def test_pages_say_the_answers_are_being_counted_until_the_sweep_has_run(client, county):
    """Between closing and the sweep, the teacher's pages say so instead of showing empty counters."""
    taught = make_taught(county, day=date(2026, 10, 5))  # closed a week later, before today
    evaluation = answer_all(taught, [5, 5, 4, 4, 3, 3], comments=["联系实际"] + [""] * 5)
    client.force_login(taught["teacher_user"])
    session_page = reverse("evaluation_feedback:session", args=[taught["lecture"].pk])

    page = client.get(session_page).content.decode()
    assert "密封的答卷正在统计" in page and "联系实际" not in page
    assert "已截止，正在统计" in client.get(reverse("evaluation_feedback:my_feedback")).content.decode()

    close(evaluation)
    page = client.get(session_page).content.decode()
    assert "密封的答卷正在统计" not in page and "联系实际" in page
