"""Member create and edit in the admin go through `services.member_upsert`, like the API and imports:
it validates and normalises the phone, creates the login and grants the member role. The list shows
and exports yes/no in words (是/否), not a red ✗ for every member who is not migrant or True/False."""

from django.utils.translation import gettext as _
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.log_actions import log

from lms.exports.admin_lists import AdminListExport, BackgroundExportIndexMixin
from lms.exports.models import ExportKind
from lms.people import services
from lms.people.admin.forms import ServiceErrorsOnFormMixin
from lms.people.admin.scoping import ScopedCreateView, ScopedEditView, ScopedIndexView
from lms.people.models import Member


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def migrant_cell(member: Member) -> str:
    """是 for a migrant member, nothing for the others (most of them)."""
    return _("Yes") if member.is_migrant else ""


class MemberIndexView(BackgroundExportIndexMixin, ScopedIndexView):
    # A county's 20,000 members: the XLSX and CSV downloads are built by the background worker
    # (MemberListExport below), the button only starts them.
    export_kind = ExportKind.MEMBERS
    export_filename = "party-members"
    # Booleans in the XLSX and CSV downloads as 是/否 (in the user's language), like the import reads them.
    custom_value_preprocess = {
        **SpreadsheetExportMixin.custom_value_preprocess,
        bool: {SpreadsheetExportMixin.FORMAT_CSV: yes_no, SpreadsheetExportMixin.FORMAT_XLSX: yes_no},
    }


class MemberListExport(AdminListExport):
    """The member list's export, read by the worker through the list's own view and scope."""

    url_name = "people_members:index"
    select_related = ("branch__township",)


class MemberServiceSaveMixin(ServiceErrorsOnFormMixin):
    log_action: str
    must_be_new: bool = False

    def member_phone(self) -> str:
        return self.form.cleaned_data["phone"]

    def save_instance(self) -> Member:
        data = self.form.cleaned_data
        member, _created = services.member_upsert(
            name=data["name"],
            phone=self.member_phone(),
            branch=data["branch"],
            category=data["category"],
            is_migrant=data["is_migrant"],
            actor=self.request.user,
            must_be_new=self.must_be_new,
        )
        log(instance=member, action=self.log_action, user=self.request.user, content_changed=True)
        return member


class MemberCreateView(MemberServiceSaveMixin, ScopedCreateView):
    log_action = "wagtail.create"
    must_be_new = True


class MemberEditView(MemberServiceSaveMixin, ScopedEditView):
    log_action = "wagtail.edit"

    def member_phone(self) -> str:
        # The phone field is disabled on edit: the member is the one stored under their phone.
        return self.get_object().phone
