"""{% site_header %} (lms/templatetags/site_chrome.py): the top bar is built once per process and
language with markers, and each answer fills in its own bell, CSRF token and path. The joined bar must
be exactly what the template gives for the same request, and what it fills in must work."""

import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from lms.notifications import services
from lms.notifications.bell import bell_html
from lms.notifications.models import NotificationKind
from lms.templatetags.site_chrome import TEMPLATE

pytestmark = pytest.mark.django_db

HEADER = re.compile(r"<header.*?</header>", re.S)
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")([^"]*)"')


def header_of(response) -> str:
    return HEADER.search(response.content.decode()).group(0)


def rendered_directly(response) -> str:
    """The bar as the template engine renders it for the request the page answered."""
    request = response.wsgi_request
    signed_in = request.user.is_authenticated
    html = render_to_string(TEMPLATE, {"bell": bell_html(request.user) if signed_in else ""}, request=request)
    return HEADER.search(html).group(0)


def same_but_tokens(one: str, other: str) -> bool:
    return CSRF.sub(r"\1TOKEN", one) == CSRF.sub(r"\1TOKEN", other)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_bar_is_what_the_template_gives_for_each_user_and_language(county, client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    visitor = client.get(reverse("login"))
    member = county["member_a"]
    services.notify(
        member.user, NotificationKind.RESULTS_RELEASED, "one", context={"title": "考试"}, url="/me/"
    )
    client.force_login(member.user)
    path = reverse("home") + "?year=2026&q=it's"
    signed_in = client.get(path)

    for response in (visitor, signed_in):
        assert same_but_tokens(header_of(response), rendered_directly(response))
    member_bar, visitor_bar = header_of(signed_in), header_of(visitor)
    assert 'data-testid="bell"' in member_bar and 'data-unread="1"' in member_bar
    assert 'data-testid="bell"' not in visitor_bar
    assert ("Log out" in member_bar) == (language == "en")
    assert ("退出" in member_bar) == (language == "zh-hans")
    # The path the switcher returns to is this answer's, escaped as the template escapes it.
    assert 'name="next" type="hidden" value="/me/?year=2026&amp;q=it&#x27;s"' in member_bar
    assert 'name="next" type="hidden" value="/login/"' in visitor_bar


def test_each_answer_carries_its_own_working_csrf_token(county):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(county["member_a"].user)
    tokens = [CSRF.search(header_of(browser.get(reverse("home")))).group(2) for _ in range(2)]
    assert tokens[0] != tokens[1]  # masked anew for each answer, not frozen in the built bar
    token = tokens[1]

    refused = browser.post(reverse("logout"), {"csrfmiddlewaretoken": "A" * 64})
    assert refused.status_code == 403
    logged_out = browser.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert logged_out.status_code == 302
    assert browser.get(reverse("home")).status_code == 302  # signed out: the home page sends to login
