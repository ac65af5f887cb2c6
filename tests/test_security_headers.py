"""Content-Security-Policy and Permissions-Policy as production sends them (SECURITY_HEADERS, on by
default under DJANGO_ENV=production): member pages allow only their own scripts and nonced inline
ones; Wagtail's admin may run its inline scripts; only the live room may use camera and microphone.
The browser side (no violation on the real pages) is tests/e2e/test_security_headers.py."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

SECURED = [
    *settings.MIDDLEWARE[:1],
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "lms.middleware.SecurityHeaderExceptionsMiddleware",
    *settings.MIDDLEWARE[1:],
]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_production_settings_turn_the_headers_on():
    env = {**os.environ, "DJANGO_ENV": "production", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "lms.example"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = "import lms.settings as s; print(s.SECURITY_HEADERS, ' '.join(s.MIDDLEWARE))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.startswith("True ")
    assert "csp.middleware.CSPMiddleware" in out.stdout
    assert "django_permissions_policy.PermissionsPolicyMiddleware" in out.stdout


@pytest.mark.django_db
@override_settings(MIDDLEWARE=SECURED)
def test_member_pages_allow_own_and_nonced_scripts_only(client, county):
    client.force_login(county["member_a"].user)
    response = client.get(reverse("scheduling:my_classes"))
    assert response.status_code == 200
    script = directives(response)["script-src"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "'self'" in script and "'unsafe-hashes'" in script
    # The inline handler on this page (select the calendar link on focus) is allowed by its hash.
    assert 'onfocus="this.select()"' in response.content.decode()
    assert len([source for source in script if source.startswith("'sha256-")]) == 3
    assert directives(response)["object-src"] == ["'none'"]
    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy


@pytest.mark.django_db
@override_settings(MIDDLEWARE=SECURED)
def test_the_live_room_alone_may_use_camera_and_microphone(client, county):
    client.force_login(county["member_a"].user)
    room = client.get(reverse("classroom:room", args=[999999]))
    assert "camera=(self)" in room["Permissions-Policy"]
    assert "microphone=(self)" in room["Permissions-Policy"]
    assert "display-capture=(self)" in room["Permissions-Policy"]
    home = client.get(reverse("home"))
    assert "camera=()" in home["Permissions-Policy"]


@pytest.mark.django_db
@override_settings(MIDDLEWARE=SECURED)
def test_the_admin_may_run_inline_scripts_and_keeps_the_rest(client, county):
    client.force_login(county["staff_a"])
    response = client.get("/admin/")
    assert response.status_code == 200
    script = directives(response)["script-src"]
    assert script == ["'self'", "'unsafe-inline'"]
    assert directives(response)["object-src"] == ["'none'"]
    assert directives(response)["frame-ancestors"] == ["'self'"]


@pytest.mark.django_db
def test_without_the_setting_no_header_and_nonce_attributes_are_empty(client, county):
    client.force_login(county["member_a"].user)
    response = client.get(reverse("scheduling:my_classes"))
    assert "Content-Security-Policy" not in response
