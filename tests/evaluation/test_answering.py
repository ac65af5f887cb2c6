"""Who may answer what, once, and when."""

from datetime import timedelta

import pytest
from django.conf import settings

from lms.evaluation import services
from lms.evaluation.models import AnswerTally, Ballot, SessionEvaluation, Submission, TextAnswer
from lms.notifications.models import Delivery
from lms.notifications.services import deliveries_send
from tests import factories
from tests.attendance.conftest import attend, enrol_ahead
from tests.evaluation.helpers import close, sheet

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def refused_reason(taught, user, session=None, now=None, answers=None):
    session = session or taught["lecture"]
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    with pytest.raises(services.EvaluationRefused) as refused:
        services.evaluation_submit(
            user=user, session=session, answers=answers or sheet(evaluation), now=now or taught["after"](1)
        )
    return refused.value.reason


def test_attended_member_answers_once(taught):
    member = taught["members"][0]
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    submission = services.evaluation_submit(
        user=member.user, session=taught["lecture"], answers=sheet(evaluation), now=taught["after"](1)
    )
    assert submission.member == member and submission.evaluation == evaluation
    assert refused_reason(taught, member.user) == "answered"
    assert Submission.objects.count() == 1
    close(evaluation)
    overall = AnswerTally.objects.get(evaluation=evaluation, question__code="overall", value=5)
    assert overall.count == 1


def test_late_member_may_answer(taught):
    late = factories.MemberFactory(branch=taught["branch_a"])
    enrol_ahead(taught["training_class"], [late], taught["org"])
    attend(late, taught["lecture"], "late", minutes=30)
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    services.evaluation_submit(
        user=late.user, session=taught["lecture"], answers=sheet(evaluation), now=taught["after"](1)
    )
    assert Submission.objects.filter(member=late).exists()


def test_absent_not_enrolled_and_non_members_are_refused(taught):
    assert refused_reason(taught, taught["absent"].user) == "not_attended"
    assert refused_reason(taught, taught["member_b"].user) == "not_attended"
    assert refused_reason(taught, taught["staff_a"]) == "not_member"
    assert refused_reason(taught, taught["teacher_user"]) == "not_member"
    assert not Submission.objects.exists()
    assert not AnswerTally.objects.filter(count__gt=0).exists()


def test_not_before_the_end_nor_after_closing(taught):
    member = taught["members"][0]
    assert (
        refused_reason(taught, member.user, now=taught["lecture"].ends_at - timedelta(minutes=1))
        == "not_open"
    )
    closing = taught["after"](24 * settings.EVALUATION_OPEN_DAYS)
    assert refused_reason(taught, member.user, now=closing) == "closed"
    evaluation = SessionEvaluation.objects.get(session=taught["lecture"])
    services.evaluation_submit(
        user=member.user,
        session=taught["lecture"],
        answers=sheet(evaluation),
        now=closing - timedelta(seconds=1),
    )


def test_sessions_without_a_teacher_or_not_taught_are_not_evaluated(taught):
    oath = taught["training_class"].sessions.get(kind="oath")
    attend(taught["members"][0], oath)
    assert refused_reason(taught, taught["members"][0].user, session=oath) == "not_evaluated"
    assert services.evaluation_open(session=oath, now=taught["after"](1)) is None


def test_invalid_answers_are_refused_per_question_and_nothing_is_kept(taught):
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    answers = sheet(evaluation, preparation=6, content="", overall=None)
    answers["999999"] = 3
    with pytest.raises(services.AnswersInvalid) as invalid:
        services.evaluation_submit(
            user=taught["members"][0].user, session=taught["lecture"], answers=answers, now=taught["after"](1)
        )
    by_code = {q.code: q.pk for q in services.evaluation_questions(evaluation)}
    errors = invalid.value.errors
    assert "Choose a rating from 1 to 5." in errors[by_code["preparation"]]
    assert "This question must be answered." in errors[by_code["content"]]
    assert "This question must be answered." in errors[by_code["overall"]]
    assert 999999 in errors
    assert by_code["delivery"] not in errors
    assert not Submission.objects.exists() and not AnswerTally.objects.filter(count__gt=0).exists()


def test_opening_freezes_the_forms_and_prepares_a_counter_per_possible_answer(taught):
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    assert services.evaluation_open(session=taught["lecture"], now=taught["after"](2)) == evaluation
    assert evaluation.teacher == taught["teacher"]
    assert evaluation.closes_at == taught["lecture"].ends_at + timedelta(days=settings.EVALUATION_OPEN_DAYS)
    # 5 ratings × 5 values, plus "not applicable" on the relevance item; text has no counters.
    assert evaluation.tallies.count() == 26
    assert set(evaluation.tallies.values_list("count", flat=True)) == {0}


def test_the_sweep_opens_ended_taught_sessions_once(taught):
    opened = services.evaluations_open_ended(now=taught["after"](1))
    taught_kinds = taught["training_class"].sessions.filter(
        kind__in=("leader_lecture", "site_visit", "elective")
    )
    ended = [s for s in taught_kinds if s.ends_at <= taught["after"](1)]
    assert opened == len(ended) >= 1
    assert services.evaluations_open_ended(now=taught["after"](2)) == 0
    assert SessionEvaluation.objects.count() == len(ended)


def test_reminders_go_once_to_those_who_have_not_answered(
    taught, mailoutbox, django_capture_on_commit_callbacks
):
    lecture = taught["lecture"]
    evaluation = services.evaluation_open(session=lecture, now=taught["after"](1))
    answered, waiting = taught["members"][0], taught["members"][1]
    waiting.user.email = "waiting@example.com"
    waiting.user.save()
    services.evaluation_submit(
        user=answered.user, session=lecture, answers=sheet(evaluation), now=taught["after"](1)
    )
    early = services.evaluation_reminders_send(now=taught["after"](2))
    assert early.reminded == 0
    due = evaluation.closes_at - timedelta(hours=settings.EVALUATION_REMIND_HOURS - 1)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.evaluation_reminders_send(now=due)
    assert report.reminded == len(taught["members"]) - 1 and report.emailed == 1
    # The e-mail is a notification's delivery, sent by the worker outside quiet hours (lms.notifications).
    deliveries_send(now=max(Delivery.objects.values_list("due_at", flat=True)))
    assert mailoutbox[0].to == ["waiting@example.com"]
    assert f"/me/evaluations/{lecture.pk}/" in mailoutbox[0].body
    assert services.evaluation_reminders_send(now=due).reminded == 0
    assert not evaluation.reminders.filter(member=answered).exists()


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_lose_and_duplicate_nothing(county):
    from tests.concurrency import run_at_once
    from tests.services import need_postgres

    need_postgres()
    from tests.evaluation.conftest import make_taught

    taught = make_taught(county, members=8)
    lecture = taught["lecture"]
    evaluation = services.evaluation_open(session=lecture, now=taught["after"](1))
    users = [m.user for m in taught["members"]] * 2  # everyone twice, at once
    answers = sheet(evaluation, overall=5, comment="同时提交")

    def work(index):
        services.evaluation_submit(
            user=users[index], session=lecture, answers=answers, now=taught["after"](1)
        )

    errors = run_at_once(len(users), work)
    assert len(errors) == 8
    assert {error.reason for error in errors} == {"answered"}
    assert Submission.objects.filter(evaluation=evaluation).count() == 8
    assert Ballot.objects.filter(evaluation=evaluation).count() == 8
    close(evaluation)
    assert AnswerTally.objects.get(evaluation=evaluation, question__code="overall", value=5).count == 8
    assert TextAnswer.objects.filter(evaluation=evaluation).count() == 8
