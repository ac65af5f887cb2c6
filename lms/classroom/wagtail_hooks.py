"""The live classroom in the admin: the 直播课堂 menu (big classroom, terminals) and the presence
timeline of a session (linked from the roll call)."""

from wagtail import hooks

from lms.classroom.admin import TimelineViewSet
from lms.classroom.admin_pages import ClassroomViewSetGroup


@hooks.register("register_admin_viewset")
def register_classroom_viewsets():
    return [ClassroomViewSetGroup(), TimelineViewSet()]
