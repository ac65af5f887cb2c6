import os

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from courses import views as course_views
from lms.api import api
from lms.people import views as people_views

# URLs carry no language prefix: the language comes from the user's choice (cookie, set by the
# switcher), defaulting to Simplified Chinese (see lms/middleware.py). Links printed on posters and QR codes
# then stay the same whatever language the reader uses.


def healthz(request):
    """For load balancers and the sign-in benchmark's baseline: answers without touching the database.
    It says which server process answered, so the benchmark can warm every worker before timing."""
    response = HttpResponse("ok", content_type="text/plain")
    response["X-Worker"] = str(os.getpid())
    return response


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the static file."""
    return redirect(static_url("lms/favicon.ico"))


urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("login/", people_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("lms.accounts.urls")),
    path("me/", people_views.home, name="home"),
    path("", include("lms.scheduling.urls")),
    path("", include("lms.attendance.urls")),
    path("", include("lms.evaluation.urls")),
    path("", include("lms.classroom.urls")),
    path("", include("lms.evaluation.feedback_urls")),
    path("", include("lms.vod.urls")),
    path("", include("lms.learning.urls")),
    path("", include("lms.quizzes.urls")),
    path("", include("lms.notifications.urls")),
    path("", include("lms.stats.urls")),
    path("", include("courses.learning_urls")),
    path("search/", course_views.search, name="search"),
]

# Uploaded files only through the media gate, which checks who asks (lms/files), in every environment.
urlpatterns += [path(settings.MEDIA_URL.lstrip("/"), include("lms.files.urls"))]

urlpatterns += [path("", include(wagtail_urls))]
