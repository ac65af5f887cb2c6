"""Online courses for the tests: a course with lessons, a ready video, a video watched to the end."""

from django.utils import timezone

from courses.learning_models import Lesson, LessonKind
from lms.learning.models import WatchProgress
from lms.vod.models import Video, VideoStatus
from tests import factories


def ready_video(school, title="党章学习视频", **fields) -> Video:
    fields.setdefault("published", True)
    return Video.objects.create(
        school=school, title=title, status=VideoStatus.READY, duration=300, renditions=[], **fields
    )


def online_course(school, *, title="学习党章", video=None, document=None, **fields):
    """A published course of the school's catalogue with a video, a document and a text lesson."""
    index = factories.course_index(school) if not school.get_children().type(_index_type()).exists() else None
    index = index or school.get_children().type(_index_type()).first().specific
    course = factories.course(index, title=title)
    for name, value in fields.items():
        setattr(course, name, value)
    if fields:
        course.save_revision().publish()
    lessons = [
        Lesson.objects.create(
            course=course, sort_order=0, title="第一课 视频", kind=LessonKind.VIDEO, video=video
        ),
        Lesson.objects.create(
            course=course, sort_order=1, title="第二课 文件", kind=LessonKind.DOCUMENT, document=document
        ),
        Lesson.objects.create(
            course=course, sort_order=2, title="第三课 阅读", kind=LessonKind.TEXT, text="<p>党章全文</p>"
        ),
    ]
    return course, lessons


def _index_type():
    from courses.models import CourseIndexPage

    return CourseIndexPage


def video_watched(member, video) -> WatchProgress:
    now = timezone.now()
    return WatchProgress.objects.create(
        member=member, video=video, watched_seconds=300, position=300, completed_at=now, last_watched_at=now
    )
