"""Admin for online courses: a course's learners and completion (from the page's "more" menu and
header), at admin/courses/<id>/learners/."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem

from courses.learning_admin import CourseLearnersView
from courses.models import CoursePage


@hooks.register("register_admin_urls")
def course_learning_urls():
    return [
        path(
            "courses/<int:course_id>/learners/", CourseLearnersView.as_view(), name="courses_course_learners"
        )
    ]


class CourseLearnersButton(PageMenuItem):
    label = _("Learners and completion")
    icon_name = "group"

    def is_shown(self, user):
        return self.page.permissions_for_user(user).can_edit()

    @property
    def url(self):
        return reverse("courses_course_learners", args=[self.page.pk])


def _is_course(page) -> bool:
    return page.specific_class is CoursePage


@hooks.register("register_page_listing_more_buttons")
def course_learners_listing_button(page, user, next_url=None):
    if _is_course(page):
        yield CourseLearnersButton(page=page, priority=70)


@hooks.register("register_page_header_buttons")
def course_learners_header_button(page, user, view_name, next_url=None):
    if _is_course(page):
        yield CourseLearnersButton(page=page, priority=80)
