"""Online learning in the demo county: one online course of the city school with three lessons
(a video lesson still waiting for its video, a document, a text), pushed to every member and already
started by member1; and the online hall (网上展厅) of the first township's first teaching point, with
two exhibits. No video is made (ffmpeg would slow the seed): staff upload one in the admin.

Idempotent: a second run finds everything and changes nothing."""

import hashlib
import io
import json

from django.core.files.base import ContentFile
from PIL import Image as PillowImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from courses.learning_models import CourseLearner, Lesson, LessonCompletion, LessonKind
from courses.models import CitySchoolPage, CourseIndexPage, CoursePage, TeachingPointPage, TownshipSchoolPage
from lms.demo.pages import Children, record_published_revision
from lms.files.services import school_public_collection_ensure
from lms.people.models import Member

COURSE_SLUG = "online-party-constitution"
DOCUMENT_TEXT = "《中国共产党章程》学习要点\n一、党的性质和宗旨\n二、党员的义务和权利\n三、党的纪律\n"
LESSON_TEXT = (
    "<p>党章是党的根本大法，是全党必须共同遵守的根本行为规范。</p>"
    "<p>学习党章，要做到学而信、学而思、学而行，把党章要求落实到日常工作生活中。</p>"
)
HALL_INTRO = "<p>网上展厅：通过图片展板、导览视频和语音讲解，足不出户参观教学点。</p>"
EXHIBITS = (("展板一：红色足迹", (178, 34, 34)), ("展板二：初心使命", (200, 120, 30)))


def online_learning_ensure(city: CitySchoolPage, townships: list[TownshipSchoolPage]) -> int:
    """Returns the number of lessons of the demo's online course."""
    course = _course_ensure(city)
    lessons = _lessons_ensure(course, city)
    _member1_started(course, lessons)
    if townships:
        _hall_ensure(townships[0])
    return len(lessons)


def _course_ensure(city: CitySchoolPage) -> CoursePage:
    index = CourseIndexPage.objects.child_of(city).first()
    course = Children(index).ensure(
        CoursePage,
        slug=COURSE_SLUG,
        title="党章学习网上课程",
        module="general",
        summary="三节课：导学视频、学习要点、党章精读。手机上随时学，进度自动保存。",
        pushed=True,
        body=[
            ("heading", "课程简介"),
            ("paragraph", RichText("<p>本课程为网上课程，推送给全体党员，可在“我的学习”中随时学习。</p>")),
        ],
    )
    return course.specific


def _lessons_ensure(course: CoursePage, city: CitySchoolPage) -> list[Lesson]:
    lessons = list(Lesson.objects.filter(course=course).order_by("sort_order"))
    if lessons:
        return lessons
    Document = get_document_model()
    document = Document.objects.create(
        title="党章学习要点",
        collection=school_public_collection_ensure(city),
        file=ContentFile(DOCUMENT_TEXT.encode(), name="dangzhang-yaodian.txt"),
    )
    return [
        Lesson.objects.create(
            course=course, sort_order=0, title="导学视频", kind=LessonKind.VIDEO, minutes=10
        ),
        Lesson.objects.create(
            course=course,
            sort_order=1,
            title="学习要点",
            kind=LessonKind.DOCUMENT,
            document=document,
            minutes=15,
        ),
        Lesson.objects.create(
            course=course, sort_order=2, title="党章精读", kind=LessonKind.TEXT, text=LESSON_TEXT, minutes=20
        ),
    ]


def _member1_started(course: CoursePage, lessons: list[Lesson]) -> None:
    member = Member.objects.filter(user__username="member1").first()
    if member is None:
        return
    CourseLearner.objects.get_or_create(member=member, course=course, defaults={"last_lesson": lessons[1]})
    LessonCompletion.objects.get_or_create(member=member, lesson=lessons[2], defaults={"way": "read"})


def _exhibit(title: str, colour: tuple[int, int, int], collection):
    Image = get_image_model()
    existing = Image.objects.filter(title=title, collection=collection).first()
    if existing:
        return existing
    buffer = io.BytesIO()
    PillowImage.new("RGB", (800, 450), colour).save(buffer, "PNG")
    data = buffer.getvalue()
    return Image.objects.create(
        title=title,
        collection=collection,
        file=ContentFile(data, name="hall-exhibit.png"),
        file_hash=hashlib.sha1(data, usedforsecurity=False).hexdigest(),  # Wagtail's duplicate check
        width=800,
        height=450,
    )


def _hall_ensure(township: TownshipSchoolPage) -> None:
    point = TeachingPointPage.objects.child_of(township).order_by("path").first()
    if point is None or point.hall_intro:
        return
    collection = school_public_collection_ensure(township)
    images = [_exhibit(title, colour, collection) for title, colour in EXHIBITS]
    point.hall_intro = HALL_INTRO
    point.hall_photos = json.dumps(
        [
            {
                "type": "photo",
                "value": {
                    "image": {"image": image.pk, "alt_text": image.title, "decorative": False},
                    "caption": image.title,
                },
            }
            for image in images
        ]
    )
    point.save()
    record_published_revision(point)
