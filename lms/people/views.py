"""Login and the member's home page (mobile first)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from lms.classroom.selectors import live_sessions_today
from lms.evaluation.selectors import member_open_evaluations
from lms.people import selectors


class LoginView(auth_views.LoginView):
    """Members land on their home page, staff in the admin, unless `next` says otherwise."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        user = self.request.user
        if selectors.is_staff_user(user) and not selectors.member_profile(user):
            return reverse("wagtailadmin_home")
        return reverse("home")


@login_required
def home(request):
    user = request.user
    member = selectors.member_profile(user)
    return render(
        request,
        "people/home.html",
        {
            "member": member,
            "open_evaluations": member_open_evaluations(member),
            "live_sessions": live_sessions_today(user),
            "teacher": selectors.teacher_profile(user),
            "is_staff_user": selectors.is_staff_user(user),
            "scopes": user.staff_scopes.select_related("school"),
        },
    )
