"""Login and the member's home page (mobile first)."""

from datetime import timedelta

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lms import fragments
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
    """我的首页: live classes today, learning to continue, make-up, sessions to evaluate (each read on
    every visit: a sign-in or a lesson changes them), and the profile card, a cached fragment
    (lms/fragments.py): it shows only people, places and roles, which staff change rarely."""
    user = request.user
    member = selectors.member_profile(user)
    return render(
        request,
        "people/home.html",
        {
            "member": member,
            "open_evaluations": member_open_evaluations(member),
            "live_sessions": live_sessions_today(user),
            # The superuser flag is on the user's row, which every login writes (not watched).
            "profile": fragments.cached(
                request, f"home_profile:{int(user.is_superuser)}", lambda: _profile(request, member)
            ),
        },
    )


def _profile(request, member):
    """The profile card's HTML (branch, township, category, teacher facts, staff schools, links), true
    until one of the tables it shows is written."""
    user = request.user
    html = render_to_string(
        "people/home_profile.html",
        {
            "member": member,
            "teacher": selectors.teacher_profile(user),
            "is_staff_user": selectors.is_staff_user(user),
            "scopes": user.staff_scopes.select_related("school"),
        },
        request=request,
    )
    return html, timezone.now() + timedelta(seconds=fragments.SECONDS)
