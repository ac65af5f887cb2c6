"""`notify`: once per person and event (also when called at once from many threads), channels by
preference, quiet hours, bounded retries, the user's language."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from lms.notifications import services
from lms.notifications.models import Channel, Delivery, DeliveryStatus, Notification, NotificationKind
from tests import factories
from tests.concurrency import run_at_once
from tests.notifications.helpers import at
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 9)


def exam(user, key="exam:1", **extra):
    return services.notify(
        user,
        NotificationKind.EXAM_SCHEDULED,
        key,
        context={"title": "党章知识考试", "starts_at": at(DAY, 14).isoformat()},
        url="/me/",
        **extra,
    )


@pytest.fixture
def member(county):
    member = factories.MemberFactory(phone="13912345678", branch=county["branch_a"])
    member.user.email = "member@example.com"
    member.user.save(update_fields=["email"])
    return member


def test_notify_records_once_and_sends_each_channel_once(
    member, clock, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    clock.move_to(at(DAY, 10))
    with django_capture_on_commit_callbacks(execute=True):
        first = exam(member.user)
    with django_capture_on_commit_callbacks(execute=True):
        again = exam(member.user)
    assert first.pk == again.pk and Notification.objects.count() == 1
    assert sorted(Delivery.objects.values_list("channel", "status")) == [
        (Channel.EMAIL, DeliveryStatus.SENT),
        (Channel.SMS, DeliveryStatus.SENT),
    ]
    assert [m.to for m in mailoutbox] == [["member@example.com"]]
    assert "党章知识考试" in mailoutbox[0].subject and mailoutbox[0].body.endswith("/me/")
    assert [m.to for m in sms_outbox] == ["13912345678"]
    # The worker running again (a retried task) sends nothing more.
    assert services.deliveries_send() == 0
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1


def test_another_event_or_person_is_another_notification(member, clock):
    clock.move_to(at(DAY, 10))
    other = factories.MemberFactory(branch=member.branch)
    exam(member.user)
    exam(member.user, key="exam:2")
    exam(other.user)
    assert Notification.objects.count() == 3


def test_an_unknown_kind_is_refused(member):
    with pytest.raises(ValidationError):
        services.notify(member.user, "party", "x", context={})


def test_defaults_in_app_always_sms_for_urgent_kinds_email_when_known(member, clock):
    clock.move_to(at(DAY, 10))
    no_email = factories.MemberFactory(branch=member.branch)
    exam(no_email.user)  # urgent: SMS only (no e-mail address)
    services.notify(no_email.user, NotificationKind.RESULTS_RELEASED, "r:1", context={"title": "考试"})
    services.notify(member.user, NotificationKind.RESULTS_RELEASED, "r:1", context={"title": "考试"})
    rows = set(Delivery.objects.values_list("notification__user_id", "notification__kind", "channel"))
    assert rows == {
        (no_email.user_id, NotificationKind.EXAM_SCHEDULED, Channel.SMS),
        (member.user_id, NotificationKind.RESULTS_RELEASED, Channel.EMAIL),
    }
    assert Notification.objects.filter(user=no_email.user).count() == 2  # in-app: both


def test_preferences_choose_the_channels(
    member, clock, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    clock.move_to(at(DAY, 10))
    services.preference_set(
        user=member.user, language="", email_kinds=[], sms_kinds=[NotificationKind.RESULTS_RELEASED]
    )
    with django_capture_on_commit_callbacks(execute=True):
        exam(member.user)
        services.notify(member.user, NotificationKind.RESULTS_RELEASED, "r:1", context={"title": "考试"})
    assert mailoutbox == []
    assert len(sms_outbox) == 1 and "考试" in sms_outbox[0].body
    assert Notification.objects.filter(user=member.user).count() == 2


def test_preferences_refuse_unknown_kinds_and_languages(member):
    with pytest.raises(ValidationError) as refused:
        services.preference_set(user=member.user, language="fr", email_kinds=["nope"], sms_kinds=[])
    assert set(refused.value.message_dict) == {"language", "email_kinds"}


@pytest.mark.parametrize(
    ("hour", "minute", "due_day", "due_hour", "due_minute"),
    [(23, 55, DAY + timedelta(days=1), 8, 0), (7, 59, DAY, 8, 0), (8, 0, DAY, 8, 0), (20, 59, DAY, 20, 59)],
)
def test_quiet_hours_hold_messages_until_eight(
    member,
    clock,
    mailoutbox,
    sms_outbox,
    hour,
    minute,
    due_day,
    due_hour,
    due_minute,
    django_capture_on_commit_callbacks,
):
    clock.move_to(at(DAY, hour, minute))
    with django_capture_on_commit_callbacks(execute=True):
        notification = exam(member.user)
    assert set(Delivery.objects.values_list("due_at", flat=True)) == {at(due_day, due_hour, due_minute)}
    quiet = (hour, minute) != (due_hour, due_minute)
    # Shown in the app at once, whatever the hour.
    assert notification.shown_at <= services.timezone.now()
    if quiet:
        assert mailoutbox == [] and sms_outbox == []
        assert services.deliveries_send(now=at(due_day, due_hour, due_minute) - timedelta(minutes=1)) == 0
        assert services.deliveries_send(now=at(due_day, due_hour, due_minute)) == 2
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1


def test_the_worker_sends_nothing_at_night_even_when_overdue(member, clock, sms_outbox):
    clock.move_to(at(DAY, 20, 50))
    exam(member.user)  # due at 20:50; the worker was down until 21:30
    assert services.deliveries_send(now=at(DAY, 21, 30)) == 0
    assert services.deliveries_send(now=at(DAY + timedelta(days=1), 7, 59)) == 0
    assert services.deliveries_send(now=at(DAY + timedelta(days=1), 8, 0)) == 2


class BrokenGateway:
    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        BrokenGateway.calls += 1
        raise ConnectionError("gateway down")


def test_failures_are_recorded_and_retried_a_bounded_number_of_times(member, clock, settings, sms_outbox):
    settings.SMS_BACKEND = "tests.notifications.test_notify.BrokenGateway"
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    BrokenGateway.calls = 0
    clock.move_to(at(DAY, 10))
    exam(member.user)
    moment = at(DAY, 10, 1)
    for _round in range(6):
        services.deliveries_send(now=moment)
        moment += timedelta(hours=2)
    sms_row = Delivery.objects.get(channel=Channel.SMS)
    assert BrokenGateway.calls == 3
    assert (sms_row.status, sms_row.attempts) == (DeliveryStatus.FAILED, 3)
    assert "gateway down" in sms_row.error
    assert Delivery.objects.get(channel=Channel.EMAIL).status == DeliveryStatus.SENT


def test_retry_waits_and_a_success_clears_the_error(member, clock, settings, sms_outbox):
    settings.SMS_BACKEND = "tests.notifications.test_notify.BrokenGateway"
    clock.move_to(at(DAY, 10))
    exam(member.user)
    services.deliveries_send(now=at(DAY, 10, 1))
    row = Delivery.objects.get(channel=Channel.SMS)
    assert row.status == DeliveryStatus.PENDING and row.due_at == at(DAY, 10, 11)
    settings.SMS_BACKEND = "lms.accounts.sms.locmem.SmsBackend"
    assert services.deliveries_send(now=at(DAY, 10, 5)) == 0
    assert services.deliveries_send(now=at(DAY, 10, 11)) == 1
    row.refresh_from_db()
    assert (row.status, row.error, len(sms_outbox)) == (DeliveryStatus.SENT, "", 1)


def test_each_person_reads_their_own_language(member, clock, mailoutbox, sms_outbox):
    clock.move_to(at(DAY, 10))
    english = factories.MemberFactory(branch=member.branch)
    english.user.email = "en@example.com"
    english.user.save(update_fields=["email"])
    services.preference_set(user=english.user, language="en", email_kinds=["exam_scheduled"], sms_kinds=[])
    exam(member.user)
    exam(english.user)
    services.deliveries_send()
    by_address = {m.to[0]: m for m in mailoutbox}
    assert by_address["en@example.com"].subject == "Exam scheduled: 党章知识考试"
    assert "takes place at" in by_address["en@example.com"].body
    assert by_address["member@example.com"].subject.startswith("考试安排")
    assert all("Exam" not in m.body for m in sms_outbox)


def test_staff_account_language_is_used_without_a_preference(county, clock, mailoutbox):
    from wagtail.users.models import UserProfile

    clock.move_to(at(DAY, 10))
    staff = factories.UserFactory(username="staffer", email="staff@example.com")
    UserProfile.objects.create(user=staff, preferred_language="en")
    exam(staff)
    services.deliveries_send()
    assert mailoutbox[0].subject == "Exam scheduled: 党章知识考试"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_make_one_notification_and_one_delivery_per_channel(county, clock, sms_outbox):
    need_postgres()
    clock.move_to(at(DAY, 10))
    member = factories.MemberFactory(phone="13900001111", branch=county["branch_a"])

    def call(_i):
        exam(member.user, when=at(DAY, 10, 30))  # due later: the workers below race to send it

    errors = run_at_once(8, call)
    assert errors == []
    assert Notification.objects.count() == 1
    assert list(Delivery.objects.values_list("channel", flat=True)) == [Channel.SMS]

    sent = []
    assert run_at_once(6, lambda _i: sent.append(services.deliveries_send(now=at(DAY, 11)))) == []
    assert sum(sent) == 1 and len(sms_outbox) == 1
