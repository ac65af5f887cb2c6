"""The 直播课堂 (Live classroom) admin menu: terminal logins of the user's townships, and the big
classroom, where township staff link their live sessions to the city school's. Every page loads its
objects from the user's scope (another township's terminal is a 404) and every change goes through
`services`, which has the last word on who may do what."""

from datetime import timedelta

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.models import Page

from courses.models import CitySchoolPage, TeachingPointPage, TownshipSchoolPage
from lms.attendance.admin.rollcall import staff_only_menu_item
from lms.attendance.admin.rollcall_views import error_messages
from lms.classroom import services
from lms.classroom.models import LiveRoom
from lms.people.selectors import is_staff_user
from lms.scheduling.models import PUBLIC_STATUSES, Session
from lms.scheduling.selectors import classes_for_user, schools_for_user

BIG_CLASSROOM_DAYS = 60  # how far ahead the big classroom page looks


class StaffOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not is_staff_user(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _townships(user):
    return schools_for_user(user).type(TownshipSchoolPage)


def _points(user):
    under = Q(pk__in=[])
    for township in _townships(user):
        under |= Q(path__startswith=township.path)
    return Page.objects.type(TeachingPointPage).filter(under)


def _apply_errors(form, error: ValidationError | PermissionDenied) -> None:
    """A service's refusal on the form: per field where it says which, else on the password or the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for message in errors:
                form.add_error(
                    field if field in form.fields else None, message.message % (message.params or {})
                )
        return
    field = "password" if isinstance(error, ValidationError) and "password" in form.fields else None
    for message in error_messages(error):
        form.add_error(field, message)


# --- Terminals -------------------------------------------------------------------------------------


class TerminalForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    township = forms.ModelChoiceField(label=gettext_lazy("Township school"), queryset=Page.objects.none())
    point = forms.ModelChoiceField(
        label=gettext_lazy("Teaching point"),
        queryset=Page.objects.none(),
        required=False,
        help_text=gettext_lazy("Where the screen stands, if at a village teaching point."),
    )
    username = forms.CharField(label=gettext_lazy("Login name"), max_length=150)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput)
    password_again = forms.CharField(label=gettext_lazy("Password again"), widget=forms.PasswordInput)
    active = forms.BooleanField(label=gettext_lazy("May log in"), required=False, initial=True)

    def __init__(self, *args, user, terminal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = _townships(user)
        self.fields["point"].queryset = _points(user)
        if terminal is None:
            del self.fields["active"]
        else:  # the place and login name stay; a new password is optional
            for name in ("township", "username"):
                del self.fields[name]
            self.fields["password"].required = self.fields["password_again"].required = False
            self.fields["password"].label = gettext_lazy("New password (leave empty to keep it)")

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class TerminalListView(StaffOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "classroom/admin/terminals.html"
    page_title = gettext_lazy("Terminals")
    header_icon = "desktop"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["terminals"] = services.terminals_for_user(self.request.user)
        context["login_url"] = self.request.build_absolute_uri(reverse("login"))
        return context


class TerminalFormView(StaffOnlyMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "classroom/admin/terminal_form.html"
    form_class = TerminalForm
    header_icon = "desktop"
    terminal = None

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("classroom_terminals:index"), "label": _("Terminals")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "terminal": self.terminal}

    def form_valid(self, form):
        try:
            terminal = self.save(form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Terminal “%(name)s” saved.") % {"name": terminal.name})
        return redirect("classroom_terminals:index")


class TerminalCreateView(TerminalFormView):
    page_title = gettext_lazy("New terminal")

    def save(self, data):
        return services.terminal_create(
            actor=self.request.user,
            name=data["name"],
            township=data["township"],
            point=data["point"],
            username=data["username"],
            password=data["password"],
        )


class TerminalEditView(TerminalFormView):
    page_title = gettext_lazy("Terminal")

    def dispatch(self, request, *args, **kwargs):
        if is_staff_user(request.user):
            self.terminal = get_object_or_404(services.terminals_for_user(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        terminal = self.terminal
        return {"name": terminal.name, "point": terminal.point, "active": terminal.user.is_active}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "terminal": self.terminal}

    def save(self, data):
        return services.terminal_update(
            actor=self.request.user,
            terminal=self.terminal,
            name=data["name"],
            point=data["point"],
            password=data["password"],
            active=data["active"],
        )


class TerminalDeleteView(StaffOnlyMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        terminal = get_object_or_404(services.terminals_for_user(request.user), pk=pk)
        try:
            services.terminal_delete(actor=request.user, terminal=terminal)
        except PermissionDenied as error:
            messages.error(request, error_messages(error)[0])
        else:
            messages.success(request, _("Terminal “%(name)s” deleted.") % {"name": terminal.name})
        return redirect("classroom_terminals:index")


# --- Big classroom ---------------------------------------------------------------------------------


def _live_sessions(now):
    return Session.objects.filter(
        delivery__in=services.LIVE_DELIVERIES,
        training_class__status__in=PUBLIC_STATUSES,
        ends_at__gt=now,
        starts_at__lt=now + timedelta(days=BIG_CLASSROOM_DAYS),
    ).select_related("training_class__school", "teacher")


class BigClassroomView(StaffOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """The city's live sessions with the sub-classrooms following each; POST links or unlinks one of
    the user's township sessions."""

    template_name = "classroom/admin/big_classroom.html"
    page_title = gettext_lazy("Big classroom")
    header_icon = "globe"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        user = self.request.user
        city_ids = Page.objects.type(CitySchoolPage).values("pk")
        rooms = LiveRoom.objects.select_related("session__training_class__school")
        big_sessions = (
            _live_sessions(now)
            .filter(training_class__school__in=city_ids)
            .prefetch_related(Prefetch("live_room__sub_rooms", queryset=rooms))
            .order_by("starts_at")
        )
        mine = list(
            _live_sessions(now)
            .filter(training_class__in=classes_for_user(user), training_class__school__in=_townships(user))
            .order_by("starts_at")
        )
        managed = {session.pk for session in mine}
        rows = []
        for big in big_sessions:
            room = getattr(big, "live_room", None)
            subs = list(room.sub_rooms.all()) if room else []
            linked = {sub.session_id for sub in subs}
            rows.append(
                {
                    "session": big,
                    "subs": [{"room": sub, "mine": sub.session_id in managed} for sub in subs],
                    "candidates": [
                        s
                        for s in mine
                        if s.pk not in linked and s.starts_at < big.ends_at and big.starts_at < s.ends_at
                    ],
                }
            )
        context["rows"] = rows
        return context

    def post(self, request):
        session = get_object_or_404(
            Session.objects.select_related("training_class"), pk=request.POST.get("session")
        )
        try:
            if request.POST.get("action") == "unlink":
                services.sub_classroom_unlink(actor=request.user, session=session)
                messages.success(
                    request,
                    _("%(session)s no longer follows the big classroom.")
                    % {"session": session.display_title},
                )
            else:
                big = get_object_or_404(_live_sessions(timezone.now()), pk=request.POST.get("big"))
                services.sub_classroom_link(actor=request.user, big_session=big, session=session)
                messages.success(
                    request,
                    _("%(session)s now follows the big classroom.") % {"session": session.display_title},
                )
        except (ValidationError, PermissionDenied) as error:
            for message in error_messages(error):
                messages.error(request, message)
        return redirect("classroom_big:index")


# --- Menu ------------------------------------------------------------------------------------------


class TerminalViewSet(ViewSet):
    name = "classroom_terminals"
    url_prefix = "classroom/terminals"
    icon = "desktop"
    menu_label = gettext_lazy("Terminals")

    @cached_property
    def menu_item_class(self):
        return staff_only_menu_item("TerminalMenuItem")

    def get_urlpatterns(self):
        return [
            path("", TerminalListView.as_view(), name="index"),
            path("add/", TerminalCreateView.as_view(), name="add"),
            path("<int:pk>/", TerminalEditView.as_view(), name="edit"),
            path("<int:pk>/delete/", TerminalDeleteView.as_view(), name="delete"),
        ]


class BigClassroomViewSet(ViewSet):
    name = "classroom_big"
    url_prefix = "classroom/big-classroom"
    icon = "globe"
    menu_label = gettext_lazy("Big classroom")

    @cached_property
    def menu_item_class(self):
        return staff_only_menu_item("BigClassroomMenuItem")

    def get_urlpatterns(self):
        return [path("", BigClassroomView.as_view(), name="index")]


class ClassroomViewSetGroup(ViewSetGroup):
    menu_label = gettext_lazy("Live classroom")
    menu_icon = "globe"
    menu_order = 230
    items = (BigClassroomViewSet, TerminalViewSet)
