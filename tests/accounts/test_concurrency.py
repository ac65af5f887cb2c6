"""Two requests at once: rate limits and the one open code per member and purpose."""

import pytest
from django.contrib.auth import get_user_model

from lms.accounts import ratelimits
from lms.accounts.models import CodePurpose, OneTimeCode
from lms.accounts.services import code_request
from tests.accounts.helpers import new_member
from tests.concurrency import run_at_once
from tests.services import need_postgres

User = get_user_model()


def test_requests_at_the_edge_of_a_limit_do_not_both_pass():
    """The counter is one atomic increment, so of 12 requests at once exactly `limit` pass
    (local-memory cache here, Redis with REDIS_URL)."""
    results = []
    errors = run_at_once(12, lambda i: results.append(ratelimits.hit("test", "13912345678", 5)))
    assert errors == []
    assert sorted(results) == [False] * 7 + [True] * 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_code_requests_leave_one_open_code(county, sms_outbox, settings):
    need_postgres()
    settings.ACCOUNTS_CODES_PER_PHONE_HOUR = 100
    settings.ACCOUNTS_CODES_PER_IP_HOUR = 100
    member = new_member(county["branch_a"])
    errors = run_at_once(
        8,
        lambda i: code_request(phone=member.phone, purpose=CodePurpose.ACTIVATE, client_ip=f"10.0.1.{i}"),
    )
    assert errors == []
    codes = OneTimeCode.objects.filter(user=member.user)
    assert codes.count() == 8
    assert codes.filter(revoked_at__isnull=True, used_at__isnull=True).count() == 1
    assert len(sms_outbox) == 8
