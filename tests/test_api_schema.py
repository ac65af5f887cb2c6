"""Schemathesis over /api/v1/openapi.json: every operation, called with generated data (valid and
not) as an anonymous caller, a member and a staff member, answers without a server error, with a
status the schema documents and a body of the documented shape.

Bounded: a few examples per operation and role, through Django's WSGI handler (no server). Left out:
schemathesis's "schema-valid data is accepted" check, since a request can match the schema and still
be refused by the rules (a forged sign-in code, a range longer than 366 days: 400/409 with a reason),
and those answers are documented and checked like every other."""

from datetime import date, timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lms.people.tokens import api_token_issue
from tests import factories

MAX_EXAMPLES = 12


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes old database connections around each request, which would close the
    test's own connection (PostgreSQL) in the middle of its transaction; Django's test client avoids it
    the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def callers(county, keep_test_connection):
    """Bearer headers by role, over the small county (a class of township A, so ids exist)."""
    factories.training_class(
        county["town_a"],
        date.today() + timedelta(days=30),
        teacher=factories.TeacherFactory(),
        point=county["point_a"],
    )

    def bearer(user):
        # A fresh token per call: DELETE /auth/token revokes the one it is called with.
        return lambda: {"Authorization": f"Bearer {api_token_issue(user=user)[0]}"}

    return {
        "anonymous": dict,
        "member": bearer(county["member_a"].user),
        "staff": bearer(county["staff_a"]),
    }


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_api_answers_as_documented(case, callers):
    for headers in callers.values():
        case.call_and_validate(headers=headers(), excluded_checks=[positive_data_acceptance])
