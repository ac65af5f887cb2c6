"""The events wired to reminders: leave decided (attendance), class starting tomorrow (the daily sweep),
evaluation open and closing (evaluation). Each reminds once."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from lms.attendance import services as attendance
from lms.evaluation import services as evaluation
from lms.notifications import events, services
from lms.notifications.models import Notification, NotificationKind
from tests import factories
from tests.notifications.helpers import at

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 7)  # the `held` and `taught` classes' day


def test_a_decided_leave_reaches_the_member_once(held, clock, sms_outbox, django_capture_on_commit_callbacks):
    clock.move_to(at(date(2026, 12, 5), 10))
    member = held["member_a"]
    leave = attendance.leave_request_submit(user=member.user, reason="村里防汛值班", session=held["lecture"])
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        attendance.leave_request_decide(actor=held["staff_a"], leave=leave, approve=True)
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.key) == (
        member.user,
        NotificationKind.LEAVE_DECIDED,
        f"leave:{leave.pk}",
    )
    assert notification.context["approved"] is True
    # Urgent: a member with a phone gets it by SMS too, in Chinese.
    assert [m.to for m in sms_outbox] == [member.phone]
    assert "已批准" in sms_outbox[0].body and held["training_class"].title in sms_outbox[0].body


def test_a_refusal_reads_in_english_for_a_member_who_chose_it(
    held, clock, sms_outbox, django_capture_on_commit_callbacks
):
    clock.move_to(at(date(2026, 12, 5), 10))
    member = held["member_a"]
    services.preference_set(
        user=member.user, language="en", email_kinds=[], sms_kinds=[NotificationKind.LEAVE_DECIDED]
    )
    leave = attendance.leave_request_submit(user=member.user, reason="出差", session=held["lecture"])
    with django_capture_on_commit_callbacks(execute=True):
        attendance.leave_request_decide(actor=held["staff_a"], leave=leave, approve=False)
    assert sms_outbox[0].body.startswith("Leave not approved: Your request")
    assert "was not approved; please attend." in sms_outbox[0].body


def test_a_leave_decided_at_night_is_texted_at_eight(
    held, clock, sms_outbox, django_capture_on_commit_callbacks
):
    clock.move_to(at(date(2026, 12, 5), 22, 30))
    leave = attendance.leave_request_submit(
        user=held["member_a"].user, reason="值班", session=held["lecture"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        attendance.leave_request_decide(actor=held["staff_a"], leave=leave, approve=True)
    assert sms_outbox == [] and Notification.objects.count() == 1
    clock.move_to(at(date(2026, 12, 6), 8, 0))
    call_command("notifications_sweep", stdout=StringIO())
    assert [m.body for m in sms_outbox if m.body.startswith("已准假")] == [
        f"已准假：您在“{held['training_class'].title}”的请假申请已批准。"
    ]


def test_the_daily_sweep_reminds_enrolled_members_the_day_before_once(
    held, clock, sms_outbox, django_capture_on_commit_callbacks
):
    outsider = factories.MemberFactory(branch=held["branch_a"])
    clock.move_to(at(DAY - timedelta(days=2), 10))
    assert events.classes_tomorrow_remind() == 0
    clock.move_to(at(DAY - timedelta(days=1), 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert events.classes_tomorrow_remind() == 1
        assert events.classes_tomorrow_remind() == 0
    notification = Notification.objects.get()
    assert notification.user == held["member_a"].user and notification.user != outsider.user
    assert notification.key == f"class:{held['training_class'].pk}"
    assert notification.context["class"] == held["training_class"].title
    assert len(sms_outbox) == 1 and "08:00" in sms_outbox[0].body  # its first session
    # The cron command (through the worker) finds nothing new.
    call_command("notifications_sweep", stdout=StringIO())
    assert Notification.objects.count() == 1 and len(sms_outbox) == 1


def test_an_opened_evaluation_tells_those_who_attended(
    taught, clock, mailoutbox, django_capture_on_commit_callbacks
):
    clock.move_to(at(DAY, 14))
    with django_capture_on_commit_callbacks(execute=True):
        opened = evaluation.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    rows = Notification.objects.filter(kind=NotificationKind.EVALUATION_OPEN)
    assert set(rows.values_list("user_id", flat=True)) == {m.user_id for m in taught["members"]}
    assert set(rows.values_list("key", flat=True)) == {f"evaluation:{opened.pk}"}
    assert rows.first().url == f"/me/evaluations/{taught['lecture'].pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.evaluation_open(session=taught["lecture"], now=taught["after"](2))
    assert rows.count() == len(taught["members"])


def test_a_closing_evaluation_reminds_those_who_have_not_answered(
    taught, clock, mailoutbox, django_capture_on_commit_callbacks
):
    opened = evaluation.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    waiting = taught["members"][1]
    waiting.user.email = "waiting@example.com"
    waiting.user.save(update_fields=["email"])
    due = opened.closes_at - timedelta(hours=settings.EVALUATION_REMIND_HOURS - 1)
    clock.move_to(due)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.evaluation_reminders_send(now=due)
        evaluation.evaluation_reminders_send(now=due)
    rows = Notification.objects.filter(kind=NotificationKind.EVALUATION_CLOSING)
    assert rows.count() == len(taught["members"])
    services.deliveries_send(now=services.quiet.next_allowed(due) + timedelta(minutes=1))
    assert [m.to for m in mailoutbox] == [["waiting@example.com"]]
    assert "匿名" in mailoutbox[0].body
