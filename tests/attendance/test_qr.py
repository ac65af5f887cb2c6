"""Rotating sign-in codes: valid in their window and the one before, refused after, forged refused."""

import pytest
from django.test import override_settings

from lms.attendance import qr

T = 1_800_000_000.0  # a moment, in seconds since the epoch


@override_settings(ATTENDANCE_QR_SECONDS=20)
def test_code_is_valid_in_its_window_and_the_next():
    code = qr.code_for(7, at=T)
    assert qr.read_code(code, at=T) == 7
    assert qr.read_code(code, at=T + 20) == 7  # scanned just as the screen changed


@override_settings(ATTENDANCE_QR_SECONDS=20)
def test_code_is_refused_two_windows_later():
    code = qr.code_for(7, at=T)
    with pytest.raises(qr.CodeRefused) as refused:
        qr.read_code(code, at=T + 60)
    assert refused.value.reason == "expired"


@override_settings(ATTENDANCE_QR_SECONDS=20)
def test_code_from_the_future_is_refused():
    with pytest.raises(qr.CodeRefused):
        qr.read_code(qr.code_for(7, at=T + 40), at=T)


@pytest.mark.parametrize("tamper", ["session", "window", "signature", "garbage"])
def test_forged_codes_are_refused(tamper):
    code = qr.code_for(7, at=T)
    value, signature = code.rsplit(":", 1)
    session_id, window = value.split(".")
    forged = {
        "session": f"8.{window}:{signature}",
        "window": f"{session_id}.{int(window) + 1}:{signature}",
        "signature": f"{value}:{signature[:-2]}xx",
        "garbage": "not-a-code",
    }[tamper]
    with pytest.raises(qr.CodeRefused) as refused:
        qr.read_code(forged, at=T)
    assert refused.value.reason == "forged"


def test_rotation_is_configurable():
    with override_settings(ATTENDANCE_QR_SECONDS=5):
        code = qr.code_for(7, at=T)
        with pytest.raises(qr.CodeRefused):
            qr.read_code(code, at=T + 10)
