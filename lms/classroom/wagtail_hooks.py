"""The live classroom in the admin: the presence timeline of a session (linked from the roll call)."""

from wagtail import hooks

from lms.classroom.admin import TimelineViewSet


@hooks.register("register_admin_viewset")
def register_classroom_viewsets():
    return TimelineViewSet()
