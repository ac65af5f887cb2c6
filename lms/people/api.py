"""API routes for login tokens, the current user's profile, and scoped branches and members."""

from datetime import datetime

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from lms.accounts.throttle import lockout_message
from lms.pagination import BoundedPageNumberPagination
from lms.people import selectors, services
from lms.people.models import MemberCategory
from lms.people.tokens import api_token_expiry, api_token_issue, api_token_revoke, bearer_value

router = Router(tags=["people"])


class Message(Schema):
    detail: str


class ValidationMessage(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class TokenRequest(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=256)


class TokenOut(Schema):
    token: str
    token_type: str = "bearer"
    expires_at: datetime


class BranchOut(Schema):
    id: int
    name: str
    kind: str
    township_id: int
    township: str

    @staticmethod
    def resolve_township(obj):
        return obj.township.title


class MemberOut(Schema):
    id: int
    name: str
    phone: str
    category: str
    category_label: str
    is_migrant: bool
    branch: BranchOut

    @staticmethod
    def resolve_category_label(obj):
        return obj.get_category_display()


class MemberIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    phone: str = Field(..., min_length=1, max_length=30)  # the service explains a bad number
    branch_id: int
    category: MemberCategory = MemberCategory.ORDINARY
    is_migrant: bool = False


class MemberPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    branch_id: int | None = None
    category: MemberCategory | None = None
    is_migrant: bool | None = None


class TeacherOut(Schema):
    id: int
    name: str
    category: str
    category_label: str
    organisation: str
    subjects: list[str]

    @staticmethod
    def resolve_category_label(obj):
        return obj.get_category_display()

    @staticmethod
    def resolve_subjects(obj):
        return obj.subject_list


class SchoolOut(Schema):
    id: int
    title: str
    kind: str


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]
    member: MemberOut | None
    teacher: TeacherOut | None
    schools: list[SchoolOut]


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: Message, 429: Message},
    summary="Get a bearer token",
    description="429 after too many wrong passwords for the account or from the address (see Retry-After).",
)
def auth_token(request, payload: TokenRequest):
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        return Status(429, {"detail": lockout_message()})
    if user is None or not user.is_active:
        return Status(401, {"detail": _("Wrong username or password.")})
    raw, token = api_token_issue(user=user)
    return Status(200, {"token": raw, "token_type": "bearer", "expires_at": api_token_expiry(token)})


@router.delete(
    "/auth/token", response={204: None, 400: Message}, summary="Revoke the bearer token of this request"
)
def auth_token_revoke(request):
    if not api_token_revoke(user=request.user, raw=bearer_value(request)):
        return Status(400, {"detail": _("This request was not made with a bearer token.")})
    return Status(204, None)


@router.get("/me", response=MeOut, summary="The current user's profile")
def me(request):
    user = request.user
    scopes = user.staff_scopes.select_related("school", "school__content_type")
    return {
        "username": user.get_username(),
        "name": user.first_name or user.get_username(),
        "roles": sorted(role.name.lower() for role in selectors.user_roles(user)),
        "member": selectors.member_profile(user),
        "teacher": selectors.teacher_profile(user),
        "schools": [
            {"id": s.school_id, "title": s.school.title, "kind": s.school.content_type.model} for s in scopes
        ],
    }


def _require_staff(request):
    if not selectors.is_staff_user(request.user):
        raise PermissionDenied(_("Only school staff and the organization department may do this."))


@router.get("/branches", response=list[BranchOut], summary="Branches the user manages")
@paginate(BoundedPageNumberPagination, page_size=100)
def branch_list(request, township_id: int | None = None):
    _require_staff(request)
    branches = selectors.branches_for_user(request.user)
    if township_id is not None:
        branches = branches.filter(township_id=township_id)
    return branches


@router.get("/members", response=list[MemberOut], summary="Members the user manages")
@paginate(BoundedPageNumberPagination, page_size=50)
def member_list(request, branch_id: int | None = None, q: str = Query("", max_length=50)):
    _require_staff(request)
    members = selectors.members_for_user(request.user)
    if branch_id is not None:
        members = members.filter(branch_id=branch_id)
    if q:
        members = members.filter(name__contains=q) | members.filter(phone__startswith=q)
    return members


@router.get("/members/{member_id}", response={200: MemberOut, 404: Message}, summary="One member")
def member_detail(request, member_id: int):
    _require_staff(request)
    return get_object_or_404(selectors.members_for_user(request.user), pk=member_id)


def _branch_in_scope(request, branch_id: int):
    branch = selectors.branches_for_user(request.user).filter(pk=branch_id).first()
    if branch is None:
        raise PermissionDenied(_("You may not manage members of that branch."))
    return branch


@router.post(
    "/members", response={201: MemberOut, 400: ValidationMessage, 403: Message}, summary="Add a member"
)
def member_create(request, payload: MemberIn):
    _require_staff(request)
    branch = _branch_in_scope(request, payload.branch_id)
    member, _created = services.member_upsert(
        name=payload.name,
        phone=payload.phone,
        branch=branch,
        category=payload.category,
        is_migrant=payload.is_migrant,
        actor=request.user,
        must_be_new=True,
    )
    return Status(201, member)


@router.patch(
    "/members/{member_id}",
    response={200: MemberOut, 400: ValidationMessage, 403: Message, 404: Message},
    summary="Change a member",
)
def member_update(request, member_id: int, payload: MemberPatch):
    _require_staff(request)
    member = get_object_or_404(selectors.members_for_user(request.user), pk=member_id)
    branch = _branch_in_scope(request, payload.branch_id) if payload.branch_id is not None else member.branch
    member, _created = services.member_upsert(
        name=payload.name if payload.name is not None else member.name,
        phone=member.phone,
        branch=branch,
        category=payload.category if payload.category is not None else member.category,
        is_migrant=payload.is_migrant if payload.is_migrant is not None else member.is_migrant,
        actor=request.user,
    )
    return Status(200, member)


def validation_error_payload(exc: ValidationError) -> dict:
    if hasattr(exc, "message_dict"):
        errors = exc.message_dict
        first = next(iter(errors.values()), [""])
        return {"detail": first[0] if first else _("The request is not valid."), "errors": errors}
    return {"detail": " ".join(exc.messages), "errors": {}}
