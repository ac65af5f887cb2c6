"""Member pages of online learning (我的学习, phone first): my courses with progress, a course's lessons,
a lesson (video, document or text, then the next one), and a teaching point's online hall (网上展厅).
Each view reads through `learning_selectors` and writes through one `learning_services` function."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from wagtail.documents import get_document_model

from courses import learning_selectors as selectors
from courses import learning_services as services
from courses.learning_models import CompletionWay, Lesson, LessonKind
from lms.files.selectors import visible_to
from lms.people.selectors import member_profile

OPEN_COURSES_PER_PAGE = 20


def _member_or_403(request):
    member = member_profile(request.user)
    if member is None:
        raise PermissionDenied(_("Only party members can take online courses."))
    return member


def _course_for(member, course_id: int):
    course = selectors.online_courses().filter(pk=course_id).first()
    if course is None or not selectors.member_may_take(member, course):
        raise Http404(_("No such course."))
    return course


@login_required
@require_safe
def my_learning(request):
    member = member_profile(request.user)
    if member is None:
        return render(request, "courses/learning/my_learning.html", {"member": None})
    items = selectors.member_learning(member)
    mine = {item.course.pk for item in items}
    open_courses = selectors.courses_open_to(member).exclude(pk__in=mine)
    page = Paginator(open_courses.only("pk", "title", "summary", "module"), OPEN_COURSES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "courses/learning/my_learning.html",
        {
            "member": member,
            "in_progress": [item for item in items if not item.is_complete],
            "completed": [item for item in items if item.is_complete],
            "open_page": page,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def course_detail(request, course_id: int):
    member = _member_or_403(request)
    course = _course_for(member, course_id)
    if request.method == "POST":
        services.course_start(member=member, course=course)
        progress = selectors.course_progress(member, course)
        lesson = progress.next_lesson
        return redirect("course_learning:lesson", course.pk, lesson.pk)
    progress = selectors.course_progress(member, course)
    if services.video_completions_record(member=member, progress=progress):
        progress = selectors.course_progress(member, course)
    return render(request, "courses/learning/course.html", {"progress": progress, "course": course})


def _lesson_for(member, course_id: int, lesson_id: int) -> Lesson:
    course = _course_for(member, course_id)
    lesson = get_object_or_404(
        Lesson.objects.select_related("video", "document"), pk=lesson_id, course_id=course.pk
    )
    lesson.course = course
    return lesson


@login_required
@require_safe
def lesson_detail(request, course_id: int, lesson_id: int):
    member = _member_or_403(request)
    lesson = _lesson_for(member, course_id, lesson_id)
    services.lesson_open(member=member, lesson=lesson)
    progress = selectors.course_progress(member, lesson.course)
    if services.video_completions_record(member=member, progress=progress):
        progress = selectors.course_progress(member, lesson.course)
    context = {
        "course": lesson.course,
        "lesson": lesson,
        "progress": progress,
        "item": progress.item(lesson.pk),
        "next_lesson": progress.after(lesson.pk),
    }
    if lesson.kind == LessonKind.VIDEO and lesson.video is not None:
        context.update(_player_context(request, lesson.video))
    if lesson.kind == LessonKind.DOCUMENT and lesson.document is not None:
        context["document_visible"] = _document_visible(request, lesson.document)
    return render(request, "courses/learning/lesson.html", context)


def _player_context(request, video) -> dict:
    """What lms.learning's player partial needs: the signed playlist, where the member left off, and a
    viewing whose heartbeats credit the seconds actually played (the same as its own watch page)."""
    from lms.learning import selectors as learning
    from lms.learning import services as learning_services
    from lms.vod import selectors as vod

    if not vod.can_watch(request.user, video):
        return {"video_unavailable": True}
    member = member_profile(request.user)
    progress = learning.progress_for(member, video)
    token = ""
    if member is not None:
        _viewing, token = learning_services.viewing_start(member=member, video=video)
    seconds = video.duration or 0
    share = min(progress.watched_seconds / seconds, 1.0) if progress and seconds else 0.0
    rule = learning.study_rule(timezone.localdate().year, member.category) if member else None
    return {
        "video": video,
        "player": True,
        "hls_url": vod.playlist_url(video, request.user),
        "poster_url": vod.poster_url(video, request.user),
        "position": progress.position if progress else 0,
        "share_percent": int(share * 100),
        "required_percent": rule.share if rule else None,
        "viewing_id": token,
        "heartbeat_seconds": learning_services.HEARTBEAT_SECONDS,
        "max_rate": learning_services.MAX_RATE,
    }


def _document_visible(request, document) -> bool:
    Document = get_document_model()
    return visible_to(request, Document.objects.filter(pk=document.pk)).exists()


@login_required
@require_POST
def lesson_mark_read(request, course_id: int, lesson_id: int):
    member = _member_or_403(request)
    lesson = _lesson_for(member, course_id, lesson_id)
    try:
        services.lesson_complete(member=member, lesson=lesson, way=CompletionWay.READ)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("course_learning:lesson", lesson.course.pk, lesson.pk)
    following = selectors.course_progress(member, lesson.course).after(lesson.pk)
    if following is not None:
        return redirect("course_learning:lesson", lesson.course.pk, following.pk)
    return redirect("course_learning:course", lesson.course.pk)


@login_required
@require_safe
def lesson_document(request, course_id: int, lesson_id: int):
    """Open a document lesson: counted as opened, then Wagtail's document view (which applies the
    collection's privacy rules again) serves the file."""
    member = _member_or_403(request)
    lesson = _lesson_for(member, course_id, lesson_id)
    if lesson.kind != LessonKind.DOCUMENT or lesson.document is None:
        raise Http404(_("This lesson has no document."))
    if not _document_visible(request, lesson.document):
        raise PermissionDenied(_("You may not open this document."))
    services.lesson_complete(member=member, lesson=lesson, way=CompletionWay.OPENED)
    return redirect(lesson.document.url)


def teaching_point_hall(request, page):
    """The online hall of a teaching point: open to everyone; the video to those who may watch it
    (signed-in members of the schools), the audio guide to those its collection lets in."""
    context = {"page": page, "self": page}
    if page.hall_video_id and request.user.is_authenticated:
        context.update(_player_context(request, page.hall_video))
    elif page.hall_video_id:
        context["video_sign_in"] = True
    if page.hall_audio_id:
        context["audio_visible"] = _document_visible(request, page.hall_audio)
    return render(request, "courses/hall.html", context)
