"""未送达的提醒: the organization department sees the deliveries that failed or are stuck `sending` past
the claim's timeout (not those sent or waiting), sends a failed one again, in a fixed number of
queries; township staff neither see the page nor its menu item."""

from datetime import date, timedelta
from itertools import count as counter

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.notifications import services
from lms.notifications.models import Channel, Delivery, DeliveryStatus, NotificationKind
from tests import factories
from tests.notifications.helpers import at

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 9)
UNDELIVERED = reverse("notifications_undelivered:index")
PHONES = counter(1)


def remind(county, count: int) -> list[Delivery]:
    """`count` members with a phone reminded of an exam: one SMS delivery each."""
    members = [
        factories.MemberFactory(phone=f"1365550{next(PHONES):04d}", branch=county["branch_a"])
        for _ in range(count)
    ]
    services.notify_many(
        [m.user for m in members],
        NotificationKind.EXAM_SCHEDULED,
        f"exam:{count}",
        context={"title": "党章知识考试", "starts_at": at(DAY, 14).isoformat()},
    )
    return list(Delivery.objects.filter(notification__user__in=[m.user for m in members]))


def test_org_dept_sees_failed_and_stuck_deliveries_and_sends_a_failed_one_again(
    client, county, clock, settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 10
    clock.move_to(at(DAY, 10))
    failed, stuck, fresh, sent = remind(county, 4)
    assert {d.channel for d in (failed, stuck, fresh, sent)} == {Channel.SMS}
    Delivery.objects.filter(pk=failed.pk).update(
        status=DeliveryStatus.FAILED, attempts=5, error="gateway down"
    )
    Delivery.objects.filter(pk=stuck.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_at=at(DAY, 9, 49)
    )
    Delivery.objects.filter(pk=fresh.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_at=at(DAY, 9, 55)
    )
    Delivery.objects.filter(pk=sent.pk).update(status=DeliveryStatus.SENT)
    client.force_login(county["org"])

    response = client.get(UNDELIVERED)
    page = response.content.decode()
    # The header names the page (not only 首页): its own breadcrumb.
    assert str(response.context["breadcrumbs_items"][-1]["label"]) == "未送达的提醒"
    assert page.count('data-testid="undelivered-row"') == 2
    assert f'data-delivery="{failed.pk}" data-status="failed"' in page
    assert f'data-delivery="{stuck.pk}" data-status="sending"' in page
    assert "gateway down" in page and "党章知识考试" in page
    assert page.count('data-testid="retry"') == 1  # only the failed one is sent again by hand

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(UNDELIVERED, {"delivery": failed.pk})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.SENT, 1)  # the worker sent it at once
    assert [m.to for m in sms_outbox] == [failed.address]
    # A delivery that is not failed is not "sent again".
    client.post(UNDELIVERED, {"delivery": sent.pk})
    assert Delivery.objects.get(pk=sent.pk).status == DeliveryStatus.SENT and len(sms_outbox) == 1


def test_only_the_organization_department(client, county, clock):
    clock.move_to(at(DAY, 10))
    (delivery,) = remind(county, 1)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    client.force_login(county["staff_a"])
    assert client.get(UNDELIVERED).status_code == 403
    assert client.post(UNDELIVERED, {"delivery": delivery.pk}).status_code == 403
    assert UNDELIVERED not in client.get(reverse("wagtailadmin_home")).content.decode()
    with pytest.raises(PermissionDenied):
        services.delivery_retry(actor=county["staff_a"], delivery_id=delivery.pk)
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.FAILED
    client.force_login(county["org"])
    assert UNDELIVERED in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_list_costs_the_same_queries_for_3_and_40_deliveries(client, county, clock):
    clock.move_to(at(DAY, 10))
    client.force_login(county["org"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(UNDELIVERED).content.decode()
        return len(captured), page.count('data-testid="undelivered-row"')

    remind(county, 3)
    Delivery.objects.update(status=DeliveryStatus.FAILED)
    client.get(UNDELIVERED)
    few = queries()
    remind(county, 37)
    Delivery.objects.update(status=DeliveryStatus.SENDING, claimed_at=at(DAY, 10) - timedelta(hours=1))
    many = queries()
    assert (few[1], many[1]) == (3, 40)
    assert many[0] == few[0]
