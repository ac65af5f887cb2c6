"""Online courses: progress per lesson and per course (video, document, text), the member's pages,
documents' privacy rules, a completion recorded once under concurrency, query counts."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.documents import get_document_model

from courses import learning_selectors as selectors
from courses import learning_services as services
from courses.learning_models import CompletionWay, CourseLearner, LessonCompletion
from lms.files.services import school_files_ensure
from tests import factories
from tests.concurrency import run_at_once
from tests.courses.learning_helpers import online_course, ready_video, video_watched
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

Document = get_document_model()


def document_in(collection, title="党章文本"):
    return Document.objects.create(
        title=title,
        collection=collection,
        file=ContentFile(b"%PDF-1.4 party constitution", name="dangzhang.pdf"),
    )


@pytest.fixture
def course_a(county):
    """A course of the 甲镇 school: video, public document, text."""
    _restricted, public = school_files_ensure(county["town_a"])
    video = ready_video(county["town_a"])
    course, lessons = online_course(county["town_a"], video=video, document=document_in(public))
    return {"course": course, "lessons": lessons, "video": video, **county}


def test_progress_per_lesson_and_course(course_a):
    member, course = course_a["member_a"], course_a["course"]
    video_lesson, document_lesson, text_lesson = course_a["lessons"]
    progress = selectors.course_progress(member, course)
    assert (progress.done, progress.total, progress.percent, progress.started) == (0, 3, 0, False)
    assert progress.next_lesson == video_lesson

    services.lesson_complete(member=member, lesson=text_lesson, way=CompletionWay.READ)
    progress = selectors.course_progress(member, course)
    assert [item.complete for item in progress.lessons] == [False, False, True]
    assert progress.percent == 33 and progress.started  # completing a lesson starts the course

    video_watched(member, course_a["video"])  # lms.learning says the video is completed
    progress = selectors.course_progress(member, course)
    assert [item.complete for item in progress.lessons] == [True, False, True]
    assert services.video_completions_record(member=member, progress=progress) == 1
    assert LessonCompletion.objects.get(member=member, lesson=video_lesson).way == CompletionWay.VIDEO

    services.lesson_complete(member=member, lesson=document_lesson, way=CompletionWay.OPENED)
    progress = selectors.course_progress(member, course)
    assert progress.is_complete and progress.percent == 100
    assert CourseLearner.objects.get(member=member, course=course).completed_at is not None
    # Someone else's progress is theirs alone.
    assert selectors.course_progress(course_a["member_b"], course).done == 0


def test_a_lesson_is_completed_only_its_own_way(course_a):
    text_lesson = course_a["lessons"][2]
    with pytest.raises(ValidationError) as refused:
        services.lesson_complete(member=course_a["member_a"], lesson=text_lesson, way=CompletionWay.OPENED)
    assert refused.value.code == "wrong_way"
    assert not LessonCompletion.objects.exists()


def test_next_lesson_follows_the_last_opened(course_a):
    member = course_a["member_a"]
    video_lesson, document_lesson, text_lesson = course_a["lessons"]
    services.lesson_open(member=member, lesson=document_lesson)
    assert selectors.course_progress(member, course_a["course"]).next_lesson == document_lesson
    services.lesson_complete(member=member, lesson=document_lesson, way=CompletionWay.OPENED)
    assert selectors.course_progress(member, course_a["course"]).next_lesson == text_lesson
    services.lesson_complete(member=member, lesson=text_lesson, way=CompletionWay.READ)
    # Back to the first lesson not complete.
    assert selectors.course_progress(member, course_a["course"]).next_lesson == video_lesson


def test_member_pages_walk_through_a_course(client, course_a):
    member, course = course_a["member_a"], course_a["course"]
    video_lesson, document_lesson, text_lesson = course_a["lessons"]
    client.force_login(member.user)
    page = client.get(reverse("course_learning:my_learning"))
    assert page.status_code == 200 and course.title in page.content.decode()  # to start

    started = client.post(reverse("course_learning:course", args=[course.pk]))
    assert started.url == reverse("course_learning:lesson", args=[course.pk, video_lesson.pk])
    lesson_page = client.get(started.url).content.decode()
    assert "第二课 文件" in lesson_page  # the next lesson
    assert 'data-testid="player"' in lesson_page and "master.m3u8" in lesson_page  # lms.learning's player

    opened = client.get(reverse("course_learning:document", args=[course.pk, document_lesson.pk]))
    assert opened.status_code == 302 and opened.url == document_lesson.document.url
    assert client.get(opened.url).status_code == 200  # Wagtail serves it: the collection is public

    read = client.post(reverse("course_learning:mark_read", args=[course.pk, text_lesson.pk]))
    assert read.url == reverse("course_learning:course", args=[course.pk])
    body = client.get(read.url).content.decode()
    assert "2 / 3" in body or "3 节中的 2 节" in body or "2" in body
    assert selectors.course_progress(member, course).done == 2

    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="learning-continue"' in home and "第一课 视频" in home


def test_a_private_document_is_not_opened_through_a_lesson(client, course_a):
    restricted, _public = school_files_ensure(course_a["town_a"])
    lesson = course_a["lessons"][1]
    lesson.document = document_in(restricted, "内部文件")
    lesson.save()
    member = course_a["member_a"]
    client.force_login(member.user)
    page = client.get(reverse("course_learning:lesson", args=[course_a["course"].pk, lesson.pk]))
    assert 'data-testid="open-document"' not in page.content.decode()
    refused = client.get(reverse("course_learning:document", args=[course_a["course"].pk, lesson.pk]))
    assert refused.status_code == 403
    assert client.get(lesson.document.url).status_code in (302, 403, 404)  # Wagtail's own view refuses too
    assert not LessonCompletion.objects.filter(member=member).exists()


def test_members_see_only_their_schools_courses_and_their_own_progress(client, course_a):
    course_b, lessons_b = online_course(course_a["town_b"], title="乙镇课程")
    member = course_a["member_a"]
    client.force_login(member.user)
    assert client.get(reverse("course_learning:course", args=[course_b.pk])).status_code == 404
    assert (
        client.get(reverse("course_learning:lesson", args=[course_b.pk, lessons_b[2].pk])).status_code == 404
    )
    # A lesson of another course under this course's address.
    assert (
        client.get(
            reverse("course_learning:lesson", args=[course_a["course"].pk, lessons_b[2].pk])
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("course_learning:mark_read", args=[course_b.pk, lessons_b[2].pk])).status_code
        == 404
    )
    assert not LessonCompletion.objects.exists()
    # A city course is open to every township.
    city_course, _ = online_course(course_a["city"], title="市级课程")
    assert client.get(reverse("course_learning:course", args=[city_course.pk])).status_code == 200


def test_pushed_courses_reach_their_audience_only(course_a):
    course = course_a["course"]
    course.pushed = True
    course.audience_categories = ["branch_secretary"]
    course.save_revision().publish()
    member = course_a["member_a"]
    assert selectors.member_learning(member) == []
    member.category = "branch_secretary"
    member.save()
    [item] = selectors.member_learning(member)
    assert item.course.pk == course.pk and not item.started
    other_branch = factories.BranchFactory(township=course_a["town_a"])
    course.audience_branches.set([other_branch])
    course.save_revision().publish()
    assert selectors.member_learning(member) == []


def test_a_draft_or_unpublished_course_is_not_offered(client, course_a):
    course = course_a["course"]
    course.unpublish()
    client.force_login(course_a["member_a"].user)
    assert client.get(reverse("course_learning:course", args=[course.pk])).status_code == 404


def _my_learning_queries(client, member) -> int:
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("course_learning:my_learning")).status_code == 200
    return len(queries)


def test_my_learning_queries_do_not_grow_with_courses(client, county):
    member = county["member_a"]
    video = ready_video(county["town_a"])
    _course, lessons = online_course(county["town_a"], video=video)
    services.lesson_open(member=member, lesson=lessons[0])
    online_course(county["city"], title="市课程")  # one to start, so the open list has a page already
    few = _my_learning_queries(client, member)
    for n in range(6):
        _more, more_lessons = online_course(
            county["town_a"], title=f"课程{n}", video=ready_video(county["town_a"])
        )
        services.lesson_complete(member=member, lesson=more_lessons[2], way=CompletionWay.READ)
        video_watched(member, more_lessons[0].video)
        services.lesson_open(member=member, lesson=more_lessons[1])
    for n in range(5):
        online_course(county["city"], title=f"市课程{n}")
    many = _my_learning_queries(client, member)
    assert many <= few, (few, many)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_completions_make_one_row(county):
    need_postgres()
    course, lessons = online_course(county["town_a"])
    member, text_lesson = county["member_a"], lessons[2]
    created = []
    errors = run_at_once(
        20,
        lambda i: created.append(
            services.lesson_complete(member=member, lesson=text_lesson, way=CompletionWay.READ)[1]
        ),
    )
    assert errors == []
    assert sorted(created) == [False] * 19 + [True]
    assert LessonCompletion.objects.filter(member=member, lesson=text_lesson).count() == 1
    assert CourseLearner.objects.filter(member=member, course=course).count() == 1
