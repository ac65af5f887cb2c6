"""Member accounts: one-time codes that activate an account or reset its password, sent by SMS or
printed on activation slips by the township's staff.

Rules: a code has 6 digits, is stored only as a keyed hash, expires (ACCOUNTS_CODE_MINUTES by SMS,
ACCOUNTS_SLIP_DAYS on a slip), is used once and locks after ACCOUNTS_CODE_MAX_ATTEMPTS wrong tries. A
member has at most one open code per purpose (a database constraint): a new one replaces the old.
Asking for a code answers the same whether or not the number is a member's, and is limited per
number and per client address per hour; entering codes is limited per client address.
"""

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts import ratelimits, throttle
from lms.accounts.models import SMS_PURPOSES, CodePurpose, OneTimeCode
from lms.accounts.tasks import sms_deliver
from lms.people.models import Branch, Member
from lms.people.selectors import can_manage_branch, is_org_dept, is_staff_user, members_for_user
from lms.people.services import validate_phone

User = get_user_model()
logger = logging.getLogger(__name__)

CODE_DIGITS = 6
SLIPS_ISSUED = "accounts.slips_issued"
LOGIN_UNLOCKED = "accounts.login_unlocked"


class RateLimited(Exception):
    """Too many requests from one number or address this hour; the message says what to do."""


def code_hash(user_id: int, code: str) -> str:
    return salted_hmac("lms.accounts.one-time-code", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def code_new() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_normalise(raw: str) -> str:
    """Full-width digits become ASCII; spaces a reader may type between groups go."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", str(raw or "")))


def _code_issue(
    *, user, phone: str, purpose: str, code: str, expires_at: datetime, now: datetime, issued_by=None
) -> OneTimeCode:
    """Replace the user's open code of `purpose` by a new one (the caller holds the user's lock)."""
    OneTimeCode.objects.filter(
        user=user, purpose=purpose, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    return OneTimeCode.objects.create(
        user=user,
        phone=phone,
        purpose=purpose,
        code_hash=code_hash(user.pk, code),
        created_at=now,
        expires_at=expires_at,
        issued_by=issued_by,
    )


def _limit(scope: str, who: str, limit: int) -> None:
    if not ratelimits.hit(scope, who or "unknown", limit):
        raise RateLimited(_("Too many requests. Please wait an hour and try again."))


# --- By SMS ------------------------------------------------------------------------------------------


def code_request(*, phone: str, purpose: str, client_ip: str) -> str:
    """Text a code to `phone` if it belongs to an active member; return the normalised number.

    The caller tells the person the same thing either way ("if this number is registered, a code is
    on its way"), and both ways do the same work up to the write: the text itself goes out from a
    background task after commit. Raises ValidationError for a number that is no mobile number at
    all and RateLimited over the hourly limits (counted for unknown numbers too).
    """
    if purpose not in SMS_PURPOSES:
        raise ValueError(f"not an SMS purpose: {purpose!r}")
    phone = validate_phone(phone)
    _limit("send-ip", client_ip, settings.ACCOUNTS_CODES_PER_IP_HOUR)
    _limit("send-phone", phone, settings.ACCOUNTS_CODES_PER_PHONE_HOUR)
    code = code_new()
    now = timezone.now()
    minutes = settings.ACCOUNTS_CODE_MINUTES
    with transaction.atomic():
        member = Member.objects.filter(phone=phone, user__is_active=True).values_list("user_id", flat=True)
        user = User.objects.select_for_update().filter(pk__in=member).first()
        if user is None:
            code_hash(0, code)  # the same work as for a member
            return phone
        _code_issue(
            user=user,
            phone=phone,
            purpose=purpose,
            code=code,
            expires_at=now + timedelta(minutes=minutes),
            now=now,
        )
        body = _(
            "Party school training platform: your code is %(code)s, valid for %(minutes)s minutes. "
            "Do not give it to anyone."
        ) % {"code": code, "minutes": minutes}
        transaction.on_commit(lambda: sms_deliver.enqueue(phone, body))
    return phone


def code_redeem(*, phone: str, code: str, password: str, client_ip: str):
    """Set the password of the member whose number is `phone`, given an open code (from an SMS or a
    slip) and a password Django's validators accept. Returns the user, to be logged in.

    A wrong code counts against every open code of the member (each locks after the maximum of
    wrong tries); a wrong code, an unknown number, a used, replaced, expired or locked code all get
    the same answer. A refused password does not use up the code.
    """
    _limit("try-ip", client_ip, settings.ACCOUNTS_TRIES_PER_IP_HOUR)
    phone = validate_phone(phone)
    code = code_normalise(code)
    now = timezone.now()
    matched = None
    with transaction.atomic():
        user_ids = Member.objects.filter(phone=phone, user__is_active=True).values_list("user_id", flat=True)
        user = User.objects.select_for_update().filter(pk__in=user_ids).first()
        if user is not None:
            codes = list(OneTimeCode.objects.open(now).filter(user=user, phone=phone))
            wanted = code_hash(user.pk, code)
            matched = next((c for c in codes if constant_time_compare(c.code_hash, wanted)), None)
            if matched is None and codes:
                OneTimeCode.objects.filter(pk__in=[c.pk for c in codes]).update(attempts=F("attempts") + 1)
        if matched is not None:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                raise ValidationError({"password1": error.messages}) from error
            user.set_password(password)
            user.save(update_fields=["password"])
            matched.used_at = now
            matched.save(update_fields=["used_at"])
            # Every other code of the member (another purpose, a slip) is done with too.
            OneTimeCode.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
                revoked_at=now
            )
    if matched is None:
        raise ValidationError({"code": _("The code is wrong or no longer valid. Ask for a new one.")})
    throttle.account_failures_forget(user.get_username())  # the code proved the phone: unlock the login
    logger.info("member %s set a password with a %s code", user.pk, matched.purpose)
    return user


# --- Activation slips ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
    member: Member
    code: str
    expires_at: datetime


def slips_issue(*, actor, branch: Branch, only_not_activated: bool = False) -> list[Slip]:
    """Fresh slip codes for the branch's active members (or only those who never set a password),
    replacing their earlier slip codes; logged on the branch with who printed them."""
    if not (is_staff_user(actor) and can_manage_branch(actor, branch)):
        raise PermissionDenied(_("You may not print slips for branch “%(branch)s”.") % {"branch": branch})
    now = timezone.now()
    expires_at = now + timedelta(days=settings.ACCOUNTS_SLIP_DAYS)
    members = Member.objects.filter(branch=branch, user__is_active=True).select_related("user")
    if only_not_activated:
        members = members.filter(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
    slips = []
    with transaction.atomic():
        members = list(members.order_by("name", "id"))
        user_ids = [member.user_id for member in members]
        list(User.objects.select_for_update().filter(pk__in=user_ids).values_list("pk", flat=True))
        OneTimeCode.objects.filter(
            user_id__in=user_ids, purpose=CodePurpose.SLIP, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        rows = []
        for member in members:
            code = code_new()
            slips.append(Slip(member=member, code=code, expires_at=expires_at))
            rows.append(
                OneTimeCode(
                    user_id=member.user_id,
                    phone=member.phone,
                    purpose=CodePurpose.SLIP,
                    code_hash=code_hash(member.user_id, code),
                    created_at=now,
                    expires_at=expires_at,
                    issued_by=actor,
                )
            )
        OneTimeCode.objects.bulk_create(rows)
        log(
            instance=branch,
            action=SLIPS_ISSUED,
            user=actor,
            data={"count": len(slips), "only_not_activated": only_not_activated},
        )
    logger.info("user %s printed %s activation slips for branch %s", actor.pk, len(slips), branch.pk)
    return slips


# --- Locked logins (lms/accounts/throttle.py) ------------------------------------------------------


def login_unlock(*, actor, username: str) -> int:
    """End the lock on the login `username`: township staff for their townships' members, the
    organization department for any login. Logged in the member's history. Returns the number of
    failure records forgotten."""
    member = members_for_user(actor).filter(user__username=username).first() if is_staff_user(actor) else None
    if member is None and not is_org_dept(actor):
        raise PermissionDenied(_("You may not unlock the login “%(username)s”.") % {"username": username})
    with transaction.atomic():
        count = throttle.account_failures_forget(username)
        if member is not None:
            log(instance=member, action=LOGIN_UNLOCKED, user=actor, data={"records": count})
    logger.info("user %s unlocked login %s (%s records)", actor.pk, member.pk if member else "-", count)
    return count


def address_unlock(*, actor, ip_address: str) -> int:
    """End the lock on a client address (the organization department only: it is shared)."""
    if not is_org_dept(actor):
        raise PermissionDenied(_("Only the organization department may unlock an address."))
    validate_ipv46_address(ip_address)
    count = throttle.address_failures_forget(ip_address)
    logger.info("user %s unlocked address %s (%s records)", actor.pk, ip_address, count)
    return count
