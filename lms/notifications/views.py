"""The person's reminders (phone first): the list, marking read, opening one, and the preferences page.
Everyone signed in has them, members and staff alike; each sees only their own."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lms.notifications import quiet, selectors, services
from lms.notifications.models import Notification, NotificationKind

PER_PAGE = 20


@login_required
def notification_list(request):
    rows = selectors.notifications_for_user(request.user)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
    items = [(notification, selectors.text_of(notification)) for notification in page.object_list]
    return render(
        request,
        "notifications/list.html",
        {"page": page, "items": items, "unread": selectors.unread_count(request.user)},
    )


def _own(request, pk: int) -> Notification | None:
    try:
        return services.notification_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        return None


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one read and stay on the list (or go where `next` says, on this site)."""
    if _own(request, pk) is None:
        return render(request, "notifications/not_found.html", status=404)
    return redirect(_next(request) or "notifications:list")


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one read and go to the page it is about."""
    notification = _own(request, pk)
    if notification is None:
        return render(request, "notifications/not_found.html", status=404)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_read_all(user=request.user)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notifications:list")


def _next(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    errors = {}
    if request.method == "POST":
        try:
            services.preference_set(
                user=request.user,
                language=request.POST.get("language", ""),
                email_kinds=request.POST.getlist("email"),
                sms_kinds=request.POST.getlist("sms"),
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:preferences")
    choices = selectors.preference_choices(request.user)
    quiet_start, quiet_end = quiet.quiet_hours()
    rows = [
        {
            "kind": kind,
            "label": label,
            "email": kind in choices.email_kinds,
            "sms": kind in choices.sms_kinds,
        }
        for kind, label in NotificationKind.choices
    ]
    return render(
        request,
        "notifications/preferences.html",
        {
            "choices": choices,
            "rows": rows,
            "errors": errors,
            "languages": settings.LANGUAGES,
            "quiet_start": quiet_start.strftime("%H:%M"),
            "quiet_end": quiet_end.strftime("%H:%M"),
        },
        status=400 if errors else 200,
    )
