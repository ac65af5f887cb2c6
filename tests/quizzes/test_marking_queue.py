import pytest
from django.core.exceptions import PermissionDenied

from lms.quizzes import selectors, services
from lms.quizzes.models import AttemptStatus, YearSetting
from lms.quizzes.services import QuizRefused
from tests import factories

pytestmark = pytest.mark.django_db


def write_essay(member, paper, bank, text="我认为……"):
    attempt, _ = services.attempt_start(user=member.user, paper=paper)
    slot = attempt.slots.get(question=bank["essay"])
    services.attempt_save_answer(user=member.user, attempt_id=attempt.pk, position=slot.position, value=text)
    services.attempt_submit(user=member.user, attempt_id=attempt.pk)
    attempt.refresh_from_db()
    return attempt, slot


def test_essays_wait_blind_for_the_papers_teachers_and_release_when_marked(county, paper, bank, client):
    member = county["member_a"]
    attempt, slot = write_essay(member, paper, bank, "坚决维护党中央权威")
    assert attempt.status == AttemptStatus.MARKING and attempt.score is None
    marker = paper.teachers.get().user
    outsider = factories.TeacherFactory(user=factories.UserFactory(username="outsider")).user
    assert list(selectors.marking_queue(outsider)) == []
    client.force_login(marker)
    queue = client.get("/quizzes/marking/").content.decode()
    page = client.get(f"/quizzes/marking/{slot.pk}/").content.decode()
    assert "坚决维护党中央权威" in page and "观点正确" in page  # the answer and the rubric
    for html in (queue, page):
        assert member.name not in html and member.phone not in html and member.branch.name not in html
    # The result is not out yet, and the member's page says so.
    client.force_login(member.user)
    assert client.get(f"/api/v1/quizzes/attempts/{attempt.pk}").json()["score"] is None
    with pytest.raises(PermissionDenied):
        services.essay_mark(user=outsider, slot_id=slot.pk, score=5)
    with pytest.raises(QuizRefused):
        services.essay_mark(user=marker, slot_id=slot.pk, score=11)  # more than its 10 points
    client.force_login(marker)
    response = client.post(f"/quizzes/marking/{slot.pk}/", {"score": "7.5", "comment": "联系实际不够"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.RELEASED
    assert attempt.score == 7.5  # nothing else answered
    assert list(selectors.marking_queue(marker)) == []


def test_second_marker_when_the_department_wants_it(county, paper, bank):
    YearSetting.objects.create(year=paper.created_at.year, second_marker_for_exams=True)
    second = factories.TeacherFactory(user=factories.UserFactory(username="marker2"))
    paper.teachers.add(second)
    first = paper.teachers.exclude(pk=second.pk).get().user
    attempt, slot = write_essay(county["member_a"], paper, bank)
    services.essay_mark(user=first, slot_id=slot.pk, score=6)
    with pytest.raises(QuizRefused):
        services.essay_mark(user=first, slot_id=slot.pk, score=6)  # once per marker
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.MARKING
    assert slot.pk in {s.pk for s in selectors.marking_queue(second.user)}
    services.essay_mark(user=second.user, slot_id=slot.pk, score=9)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.RELEASED and attempt.score == 7.5  # the average
