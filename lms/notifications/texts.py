"""The words of each kind of notification, rendered in whatever language is active (the page's for the
bell and the list, the recipient's for e-mail and SMS: see `services.user_language`).

A notification stores its details (`context`: titles, ISO moments, flags) rather than sentences, so the
same reminder reads in Chinese on one phone and in English on another.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lms.notifications.models import NotificationKind


class Details(dict):
    """A notification's context where a missing detail reads as an empty string, not a KeyError."""

    def __missing__(self, key):
        return ""


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def moment_words(value) -> str:
    """“12月9日 09:00” from an ISO moment (or a datetime), in Beijing time; "" when absent."""
    if not value:
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    local = timezone.localtime(moment)
    return f"{date_format(local, 'MONTH_DAY_FORMAT')} {local:%H:%M}"


def render(kind: str, context: dict) -> Text:
    details = Details(context or {})
    for name in ("starts_at", "closes_at", "due_at"):
        details[name.removesuffix("_at")] = moment_words(details.get(name))
    if kind == NotificationKind.CLASS_TOMORROW:
        body = (
            _("“%(class)s” starts tomorrow, %(starts)s.")
            if details["starts"]
            else _("“%(class)s” starts tomorrow.")
        ) % details
        if details["place"]:
            body = f"{body} {_('Venue: %(place)s.') % details}"
        return Text(_("Class tomorrow: %(class)s") % details, body)
    if kind == NotificationKind.LEAVE_DECIDED:
        if details.get("approved"):
            return Text(
                _("Leave approved"), _("Your request for leave from “%(class)s” was approved.") % details
            )
        return Text(
            _("Leave not approved"),
            _("Your request for leave from “%(class)s” was not approved; please attend.") % details,
        )
    if kind == NotificationKind.EVALUATION_OPEN:
        return Text(
            _("Please evaluate “%(session)s”") % details,
            _("The anonymous evaluation of “%(session)s” (%(class)s) is open until %(closes)s.") % details,
        )
    if kind == NotificationKind.EVALUATION_CLOSING:
        return Text(
            _("Evaluation closing: “%(session)s”") % details,
            _(
                "The evaluation of “%(session)s” (%(class)s) closes at %(closes)s. It is anonymous and "
                "takes a minute."
            )
            % details,
        )
    if kind == NotificationKind.MAKEUP_OWED:
        body = (
            _("You missed “%(title)s”; please make it up by %(due)s.")
            if details["due"]
            else _("You missed “%(title)s”; please make it up.")
        )
        return Text(_("Make-up owed: %(title)s") % details, body % details)
    if kind == NotificationKind.EXAM_SCHEDULED:
        return Text(
            _("Exam scheduled: %(title)s") % details,
            (
                _("“%(title)s” takes place at %(starts)s.")
                if details["starts"]
                else _("“%(title)s” is scheduled.")
            )
            % details,
        )
    if kind == NotificationKind.RESULTS_RELEASED:
        return Text(
            _("Results released: %(title)s") % details,
            _("Your result of “%(title)s” is out.") % details,
        )
    return Text(str(kind), "")
