"""Every URL pattern (Django's resolver, the API's routes among them) with hostile values, as an
anonymous visitor, a member and a township's staff: no answer is a server error.

Each pattern is requested three ways: its parameters as the largest and oddest values their converter
accepts (ids past any database integer, a 5,000-character slug, year 9999) with a hostile query
string; as NUL bytes, `../` and unicode; and posted with a hostile form. A 400, 403, 404 or a
redirect are all fine answers; a 500 (or an exception escaping the view) fails the test with the URL.
Patterns are grouped by their first path segments so parallel test processes share the walk."""

import re
from collections import defaultdict
from datetime import date, timedelta
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from tests import factories

HUGE = [str(2**31), str(2**63 + 1), "9" * 30, "0"]
ODD = ["\x00", "..%2F..%2Fetc%2Fpasswd", "中文☃𝕏", "9999-12-31", "-1", "x" * 5000, "0000-00-00"]
HOSTILE_QUERY = {
    "q": "x" * 5000,
    "query": "../../etc/passwd",
    "page": "9" * 30,
    "year": "9999",
    "from": "9999-12-31",
    "to": "0000-01-01",
    "day": "9999-12-31",
    "date": "0001-01-01",
    "next": "//evil.example/",
    "status": "中文☃",
    "branch": "-1",
    "township": str(2**63 + 1),
    "p": "-5",
    "ordering": "../",
}
NUL_QUERY = dict.fromkeys(("q", "query", "page", "year", "to", "next"), "a\x00b")
HOSTILE_FORM = {
    **HOSTILE_QUERY,
    "name": "x" * 5000,
    "phone": "9" * 40,
    "title": "中文☃𝕏" * 200,
    "start_date": "9999-12-31",
    "end_date": "0000-01-01",
    "starts_at": "9999-12-31T23:59:59",
    "capacity": str(2**63 + 1),
    "code": "../" * 100,
}
# Posting to logout ends the client's session for the rest of its group.
SKIP_POST = ("logout",)
# Not ours to fix, each said in the README: Wagtail's /admin/failwhale/ raises on purpose (to test error
# reporting); its external-link chooser raises AttributeError when posted without a URL (staff only).
UPSTREAM = {
    ("get", "admin/failwhale/"),
    ("post", "admin/failwhale/"),
    ("post", "admin/choose-external-link/"),
}


def route_template(prefix: str, pattern) -> str:
    return prefix + (regex_as_route(pattern) if isinstance(pattern, RegexPattern) else str(pattern))


def regex_as_route(pattern: RegexPattern) -> str:
    """A regex pattern as a route with <int:...>/<str:...> placeholders for its groups."""
    text = str(pattern).lstrip("^").rstrip("$")
    out, depth, start = [], 0, None
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if depth == 0:
                out.append(text[i + 1])
            i += 2
            continue
        if char == "(":
            if depth == 0:
                start = i
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                group = text[start : i + 1]
                out.append("<int:group>" if r"\d+" in group and "|" not in group else "<str:group>")
        elif depth == 0 and char not in "*+?":
            out.append("." if char == "." else char)
        i += 1
    return "".join(out).replace(".*", "")


def all_routes() -> list[str]:
    routes = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route_template(prefix, entry.pattern))
            else:
                routes.append(route_template(prefix, entry.pattern))

    walk(get_resolver().url_patterns)
    return sorted(set(routes))


PLACEHOLDER = re.compile(r"<(?:(\w+):)?\w+>")


def fill(route: str, values: list[str], first: int = 0) -> str:
    """The route with each placeholder replaced by a value its converter could receive."""
    index = iter(range(first, first + 1000))

    def value(match):
        converter = match.group(1) or "str"
        n = next(index)
        if converter == "int":
            return HUGE[n % len(HUGE)]
        chosen = values[n % len(values)]
        if converter == "slug":
            chosen = re.sub(r"[^-\w]", "-", chosen) or "x"
        return chosen if converter == "path" else quote(chosen, safe="%")

    return "/" + PLACEHOLDER.sub(value, route)


def groups() -> dict[str, list[str]]:
    """Routes by their first segment (two under admin/); groups of a few routes merged."""
    by_group = defaultdict(list)
    for route in all_routes():
        parts = route.split("/")
        by_group["/".join(parts[:2]) if parts[0] == "admin" else parts[0]].append(route)
    merged = defaultdict(list)
    for name, routes in by_group.items():
        small = "admin/(small)" if name.startswith("admin/") else "(small)"
        merged[name if len(routes) >= 6 else small].extend(routes)
    return dict(merged)


GROUPS = groups()


@pytest.fixture
def clients(county):
    staff = Client(raise_request_exception=True)
    staff.force_login(county["staff_a"])
    member = Client(raise_request_exception=True)
    member.force_login(county["member_a"].user)
    # Something to find: a class of township A, so list pages and reports have rows.
    teacher = factories.TeacherFactory()
    factories.training_class(
        county["town_a"], date.today() + timedelta(days=7), teacher=teacher, point=county["point_a"]
    )
    return {"anonymous": Client(raise_request_exception=True), "member": member, "staff": staff}


def requests_for(route: str):
    hostile = fill(route, ["x" * 5000, "9999-12-31", "中文☃𝕏"], first=1)
    odd = fill(route, ODD)
    if ("get", route) not in UPSTREAM:
        yield "get", hostile + "?" + urlencode(HOSTILE_QUERY), None
        yield "get", odd + "?" + urlencode(NUL_QUERY), None
    if ("post", route) not in UPSTREAM and not any(word in route for word in SKIP_POST):
        yield "post", hostile, HOSTILE_FORM


@pytest.mark.django_db
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_no_url_answers_a_server_error(clients, group):
    # The three callers in one test: the county they need costs more to build than their requests.
    failures = []
    for role, client in clients.items():
        for route in GROUPS[group]:
            for method, url, data in requests_for(route):
                try:
                    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
                except Exception as error:  # the view raised: a 500 in production
                    failures.append(
                        f"as {role}: {method.upper()} {url[:200]} raised {type(error).__name__}: {error}"[
                            :400
                        ]
                    )
                    continue
                if response.status_code >= 500:
                    failures.append(
                        f"as {role}: {method.upper()} {url[:200]} answered {response.status_code}"
                    )
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
