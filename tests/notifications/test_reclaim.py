"""A delivery whose worker died while sending it (left `sending`) is sent again by the sweep once
NOTIFICATIONS_CLAIM_TIMEOUT has passed, not before; sweeps racing return it once; a delivery that
keeps killing its worker ends failed after NOTIFICATIONS_MAX_ATTEMPTS; quiet hours still hold."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from lms.accounts import sms
from lms.notifications import services
from lms.notifications.models import Channel, Delivery, DeliveryStatus, NotificationKind
from tests import factories
from tests.concurrency import run_at_once
from tests.notifications.helpers import at
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 9)
LOCMEM = "lms.accounts.sms.locmem.SmsBackend"
DYING = "tests.notifications.test_reclaim.DyingGateway"


class DyingGateway:
    """The gateway accepts the message, then the worker process is killed before it records it."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        sms.outbox.extend(messages)  # the gateway accepted it: the member's phone gets it
        raise SystemExit("worker killed")  # not an Exception: nothing in delivery_send catches it


class HangingGateway:
    """The gateway takes longer than the claim's timeout, then fails (`meanwhile` runs in between)."""

    meanwhile = None

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        HangingGateway.meanwhile()
        raise TimeoutError("gateway timed out")


@pytest.fixture
def member(county):
    return factories.MemberFactory(phone="13912345678", branch=county["branch_a"])  # no e-mail: SMS only


def exam(user, when=None):
    return services.notify(
        user,
        NotificationKind.EXAM_SCHEDULED,
        "exam:1",
        context={"title": "党章知识考试", "starts_at": at(DAY, 14).isoformat()},
        url="/me/",
        when=when,
    )


def die_while_sending(settings, now):
    settings.SMS_BACKEND = DYING
    with pytest.raises(SystemExit):
        services.deliveries_send(now=now)
    settings.SMS_BACKEND = LOCMEM
    return Delivery.objects.get(channel=Channel.SMS)


def test_a_stuck_delivery_is_sent_again_after_the_timeout_not_before(member, clock, settings, sms_outbox):
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 10
    clock.move_to(at(DAY, 9, 59))
    exam(member.user)
    row = die_while_sending(settings, at(DAY, 10))
    assert (row.status, row.attempts, row.claimed_at) == (DeliveryStatus.SENDING, 1, at(DAY, 10))
    assert len(sms_outbox) == 1  # it did reach the phone before the worker died

    clock.move_to(
        at(DAY, 10, 9) + timedelta(seconds=59)
    )  # the cron sweep, a second before the timeout: nothing
    call_command("notifications_sweep", stdout=open("/dev/null", "w"))  # noqa: SIM115
    row.refresh_from_db()
    assert (row.status, row.attempts, len(sms_outbox)) == (DeliveryStatus.SENDING, 1, 1)

    clock.move_to(at(DAY, 10, 10))  # the timeout: returned to pending and sent again, counted
    call_command("notifications_sweep", stdout=open("/dev/null", "w"))  # noqa: SIM115
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert at(DAY, 10, 10) <= row.claimed_at < at(DAY, 10, 11) and row.error == ""  # the clock ticks
    # At least once: the member has it twice (the gateway had accepted the first before the crash).
    assert [m.to for m in sms_outbox] == ["13912345678", "13912345678"]
    call_command("notifications_sweep", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(sms_outbox) == 2


def test_a_worker_that_keeps_dying_ends_in_failed(member, clock, settings, sms_outbox):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 10
    clock.move_to(at(DAY, 10))
    exam(member.user)
    die_while_sending(settings, at(DAY, 10, 1))
    assert services.deliveries_reclaim(now=at(DAY, 10, 11)) == 1
    row = die_while_sending(settings, at(DAY, 10, 12))
    assert (row.status, row.attempts) == (DeliveryStatus.SENDING, 2)
    assert services.deliveries_reclaim(now=at(DAY, 10, 22)) == 0  # the last attempt: failed, not returned
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 2)
    assert row.error  # says the worker stopped, for staff reading the row
    assert services.deliveries_send(now=at(DAY, 12)) == 0 and len(sms_outbox) == 2


def test_a_delivery_returned_in_quiet_hours_waits_for_eight(member, clock, settings, sms_outbox):
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 10
    clock.move_to(at(DAY, 20, 50))
    exam(member.user)
    die_while_sending(settings, at(DAY, 20, 55))
    sms_outbox.clear()
    assert services.deliveries_reclaim(now=at(DAY, 21, 10)) == 1
    row = Delivery.objects.get(channel=Channel.SMS)
    tomorrow = DAY + timedelta(days=1)
    assert (row.status, row.due_at) == (DeliveryStatus.PENDING, at(tomorrow, 8))
    assert services.deliveries_send(now=at(DAY, 21, 10)) == 0
    assert services.deliveries_send(now=at(tomorrow, 7, 59)) == 0
    assert sms_outbox == []
    assert services.deliveries_send(now=at(tomorrow, 8)) == 1 and len(sms_outbox) == 1


def test_a_slow_worker_does_not_undo_what_happened_after_the_sweep_took_its_delivery_back(
    member, clock, settings, sms_outbox
):
    """The first worker hangs past the timeout; the sweep returns the delivery and a second worker sends
    it; the first one's failure, arriving last, changes nothing."""
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 10
    clock.move_to(at(DAY, 10))
    exam(member.user)
    row = Delivery.objects.get(channel=Channel.SMS)

    def meanwhile():
        # Eleven minutes later, while this worker waits on the gateway: the sweep returns the delivery
        # and another worker sends it.
        settings.SMS_BACKEND = LOCMEM
        assert services.deliveries_reclaim(now=at(DAY, 10, 12)) == 1
        assert services.delivery_send(delivery_id=row.pk, now=at(DAY, 10, 12)) is True

    HangingGateway.meanwhile = staticmethod(meanwhile)
    settings.SMS_BACKEND = "tests.notifications.test_reclaim.HangingGateway"
    assert services.delivery_send(delivery_id=row.pk, now=at(DAY, 10, 1)) is False
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == (DeliveryStatus.SENT, 2, "")
    assert len(sms_outbox) == 1


def test_reminder_email_carries_a_message_id_of_its_delivery(county, clock, mailoutbox):
    clock.move_to(at(DAY, 10))
    user = factories.UserFactory(username="reader", email="reader@example.com")
    exam(user)
    services.deliveries_send()
    delivery = Delivery.objects.get(channel=Channel.EMAIL)
    assert mailoutbox[0].extra_headers["Message-ID"].startswith(f"<notification-delivery-{delivery.pk}@")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sweeps_racing_return_a_stuck_delivery_once_and_send_it_once(county, clock, settings, sms_outbox):
    need_postgres()
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 10
    clock.move_to(at(DAY, 10))
    member = factories.MemberFactory(phone="13900001111", branch=county["branch_a"])
    exam(member.user, when=at(DAY, 10, 1))  # due later: not sent at once on commit
    die_while_sending(settings, at(DAY, 10, 1))
    sms_outbox.clear()

    returned = []
    assert run_at_once(6, lambda _i: returned.append(services.deliveries_reclaim(now=at(DAY, 10, 20)))) == []
    assert sum(returned) == 1

    # And whole sweeps racing on another stuck delivery: returned once, sent once.
    Delivery.objects.update(status=DeliveryStatus.SENDING, claimed_at=at(DAY, 10, 20), attempts=2)
    counts = []

    def sweep(_i):
        counts.append(
            (services.deliveries_reclaim(now=at(DAY, 10, 40)), services.deliveries_send(now=at(DAY, 10, 40)))
        )

    assert run_at_once(6, sweep) == []
    assert sum(r for r, _s in counts) == 1 and sum(s for _r, s in counts) == 1
    assert [m.to for m in sms_outbox] == ["13900001111"]
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 3)
