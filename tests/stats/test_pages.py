"""The dashboard pages, drill-down, the staff ledger, the XLSX and the API: who sees what."""

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from lms.stats.models import FiguresRefresh
from tests.stats.conftest import YEAR


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, {"year": YEAR, **params})


def test_org_dept_sees_the_county_by_township(client, known):
    page = get(client, known["org"], "/admin/stats/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/admin/stats/townships/{known['town_a'].pk}/" in html
    assert f"/admin/stats/townships/{known['town_b'].pk}/" in html
    assert 'data-testid="figure-members">4<' in html
    assert 'id="stats-data"' in html and "vendor/echarts.min.js" in html
    assert "<script>" not in html.split('id="stats-data"')[0][-200:]  # data passed as json_script


def test_township_staff_land_on_their_township_and_nowhere_else(client, known):
    page = get(client, known["staff_a"], "/admin/stats/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/admin/stats/branches/{known['branch_a'].pk}/" in html  # rows are its branches
    assert 'data-testid="figure-members">3<' in html
    assert f"/admin/stats/townships/{known['town_b'].pk}/" not in html
    for url in (
        f"/admin/stats/townships/{known['town_b'].pk}/",
        f"/admin/stats/branches/{known['branch_b'].pk}/",
        f"/admin/stats/members/{known['member_b'].pk}/",
    ):
        assert get(client, known["staff_a"], url).status_code == 404, url


def test_city_staff_see_their_townships(client, known):
    page = get(client, known["city_staff"], "/admin/stats/")
    assert page.status_code == 200
    assert f"/admin/stats/townships/{known['town_b'].pk}/" in page.content.decode()


def test_drill_down_to_a_members_ledger(client, known):
    township = get(client, known["org"], f"/admin/stats/townships/{known['town_a'].pk}/")
    assert f"/admin/stats/branches/{known['branch_a'].pk}/" in township.content.decode()
    branch = get(client, known["org"], f"/admin/stats/branches/{known['branch_a'].pk}/")
    html = branch.content.decode()
    assert f"/admin/stats/members/{known['cadre_a'].pk}/" in html
    ledger = get(client, known["staff_a"], f"/admin/stats/members/{known['cadre_a'].pk}/")
    assert ledger.status_code == 200
    assert ledger.content.decode().count('data-testid="ledger-row"') == 12


def test_members_and_anonymous_see_nothing(client, known):
    client.force_login(known["member_a"].user)
    for url in ("/admin/stats/", f"/admin/stats/members/{known['member_a'].pk}/"):
        assert client.get(url).status_code in (302, 403, 404)
    client.logout()
    assert client.get("/admin/stats/").status_code == 302


def test_xlsx_of_one_table_and_of_all(client, known):
    response = get(client, known["org"], "/admin/stats/", export="xlsx", table="coverage")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[-1][1:4] == (4, 4, 2)  # total: members, requirement applies, met
    assert len(book.worksheets) == 1
    everything = load_workbook(io.BytesIO(get(client, known["org"], "/admin/stats/", export="xlsx").content))
    assert len(everything.worksheets) >= 5
    assert get(client, known["org"], "/admin/stats/", export="xlsx", table="nope").status_code == 404


@pytest.mark.parametrize(
    ("user", "url", "status"),
    [
        ("org", "/api/v1/stats", 200),
        ("staff_a", "/api/v1/stats/townships/{town_b}", 404),
        ("staff_a", "/api/v1/stats/branches/{branch_a}", 200),
        ("member_a", "/api/v1/stats", 403),
    ],
)
def test_api_scopes(client, known, user, url, status):
    who = known[user].user if user == "member_a" else known[user]
    client.force_login(who)
    path = url.format(town_b=known["town_b"].pk, branch_a=known["branch_a"].pk)
    response = client.get(path, {"year": YEAR})
    assert response.status_code == status
    if status == 200 and user == "org":
        body = response.json()
        assert body["level"] == "county" and body["coverage_total"]["met"] == 2
        assert [m["met"] for m in body["months"]][2:5] == [1, 1, 2]
        assert body["teachers"] is not None
        stamp = FiguresRefresh.objects.get(year=YEAR).refreshed_at
        assert abs(datetime.fromisoformat(body["refreshed_at"]) - stamp) < timedelta(milliseconds=1)
