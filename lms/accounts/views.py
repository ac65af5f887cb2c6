"""The member's way in: ask for a code by SMS (or use a printed slip), then set a password.

Two flows share the pages: activation (first login) and "forgot password"; they differ in words only.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from lms.accounts import services
from lms.accounts.forms import CodeForm, PhoneForm
from lms.accounts.models import CodePurpose

SESSION_PHONE = "accounts_code_phone"


@dataclass(frozen=True)
class Flow:
    purpose: str
    title: str
    request_url: str
    code_url: str


FLOWS = {
    CodePurpose.ACTIVATE: Flow(
        CodePurpose.ACTIVATE,
        gettext_lazy("Activate your account"),
        "accounts:activate",
        "accounts:activate_code",
    ),
    CodePurpose.RESET: Flow(
        CodePurpose.RESET, gettext_lazy("Forgot your password"), "accounts:reset", "accounts:reset_code"
    ),
}


def client_ip(request) -> str:
    """The address the request came from (behind nginx, uvicorn --proxy-headers puts the client's here)."""
    return request.META.get("REMOTE_ADDR", "")


def _apply(form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


@never_cache
@require_http_methods(["GET", "POST"])
def code_request(request, purpose: str):
    flow = FLOWS[purpose]
    form = PhoneForm(request.POST or None, initial={"phone": request.session.get(SESSION_PHONE, "")})
    if request.method == "POST" and form.is_valid():
        try:
            phone = services.code_request(
                phone=form.cleaned_data["phone"], purpose=flow.purpose, client_ip=client_ip(request)
            )
        except ValidationError as error:
            _apply(form, error)
        except services.RateLimited as error:
            form.add_error(None, str(error))
        else:
            request.session[SESSION_PHONE] = phone
            return redirect(reverse(flow.code_url) + "?sent=1")
    return render(request, "accounts/code_request.html", {"flow": flow, "form": form})


@never_cache
@sensitive_post_parameters("code", "password1", "password2")
@require_http_methods(["GET", "POST"])
def code_enter(request, purpose: str):
    flow = FLOWS[purpose]
    phone = request.session.get(SESSION_PHONE, "")
    form = CodeForm(request.POST or None, initial={"phone": phone})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.code_redeem(
                phone=form.cleaned_data["phone"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password1"],
                client_ip=client_ip(request),
            )
        except ValidationError as error:
            _apply(form, error)
        except services.RateLimited as error:
            form.add_error(None, str(error))
        else:
            request.session.pop(SESSION_PHONE, None)
            login(request, user, backend="lms.people.backends.ProfileBackend")
            messages.success(request, _("Your password is set; use it with your phone number to log in."))
            return redirect("home")
    return render(
        request,
        "accounts/code_enter.html",
        {
            "flow": flow,
            "form": form,
            "sent_to": phone if request.GET.get("sent") else "",
            "code_minutes": settings.ACCOUNTS_CODE_MINUTES,
            "password_help": password_validation.password_validators_help_text_html(),
        },
    )
