"""人员 → 导入党员: staff import members from a CSV or XLSX file, in two steps.

1. Upload: the file is checked against the size cap, read (row cap), and dry-run through
   `importing.members_import` as the uploader, exactly like `manage.py import_members --as`: the page
   shows what would happen, every bad row with its row number and reason, and the first good rows.
2. "导入有效行": the same upload (kept server-side, see `import_uploads`) is imported for real; bad rows
   are skipped, re-running updates instead of duplicating.

A template (XLSX or CSV) with the expected headers and an example row can be downloaded.
"""

import csv
import io
from itertools import groupby
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from lms.exports.writers import formula_safe, formula_safe_text
from lms.people import selectors
from lms.people.admin.import_uploads import (
    UPLOAD_MINUTES,
    UploadUnavailable,
    import_running,
    upload_for,
    upload_keep,
)
from lms.people.importing import CATEGORY_ALIASES, ImportFileError, ImportReport, members_import
from lms.people.models import MemberCategory
from lms.people.permissions import member_permission_policy

PREVIEW_ROWS = 200  # good rows shown on the dry-run page; the counts cover them all
TEMPLATE_HEADERS = ["姓名", "手机号", "党支部", "类别", "流动党员", "镇街党校"]
TEMPLATE_BASENAME = "党员导入模板"


def may_import(user) -> bool:
    """Staff who may add members (township and city staff, the organization department)."""
    return selectors.is_staff_user(user) and member_permission_policy.user_has_permission(user, "add")


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Member list"),
        help_text=gettext_lazy("A .xlsx workbook or a .csv file (UTF-8 or GBK), one row per member."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PEOPLE_IMPORT_MAX_BYTES
        if upload.size > limit:
            message = _(
                "The file is %(size)s; one import takes at most %(max)s. Split the list into smaller files."
            )
            raise ValidationError(
                message % {"size": filesizeformat(upload.size), "max": filesizeformat(limit)}
            )
        return upload


def bad_rows(report: ImportReport) -> list[tuple[int, list[str]]]:
    """(row number, reasons) for every bad row, in file order."""
    return [
        (row, [error.reason for error in errors]) for row, errors in groupby(report.errors, lambda e: e.row)
    ]


class MemberImportMixin(WagtailAdminTemplateMixin):
    page_title = gettext_lazy("Import members")
    header_icon = "upload"
    viewset = None

    def dispatch(self, request, *args, **kwargs):
        if not may_import(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def url(self, name: str) -> str:
        return reverse(self.viewset.get_url_name(name))

    def report_context(self, report: ImportReport) -> dict:
        return {
            "report": report,
            "bad_rows": bad_rows(report),
            "failed_count": len(report.failed_rows),
            "preview_rows": report.rows[:PREVIEW_ROWS],
            "good_count": len(report.rows),
            "members_url": reverse("people_members:index"),
            "upload_url": self.url("index"),
        }


class MemberImportView(MemberImportMixin, TemplateView):
    """Step 1: the upload form, and the dry run of an upload."""

    template_name = "people/admin/member_import.html"

    @cached_property
    def townships(self) -> list[str]:
        return list(
            selectors.townships_managed_by(self.request.user).order_by("path").values_list("title", flat=True)
        )

    def get_context_data(self, *, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        categories = [
            (label, "、".join(alias for alias in CATEGORY_ALIASES[code] if not alias.isascii()))
            for code, label in MemberCategory.choices
        ]
        context.update(
            form=form or MemberImportForm(),
            action_url=self.url("index"),
            template_xlsx_url=f"{self.url('template')}?format=xlsx",
            template_csv_url=f"{self.url('template')}?format=csv",
            townships=self.townships,
            all_townships=selectors.is_org_dept(self.request.user),
            categories=categories,
            max_bytes=settings.PEOPLE_IMPORT_MAX_BYTES,
            max_rows=settings.PEOPLE_IMPORT_MAX_ROWS,
        )
        return context

    def post(self, request, *args, **kwargs):
        form = MemberImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            report = members_import(
                io.BytesIO(data),
                actor=request.user,
                dry_run=True,
                filename=upload.name,
                max_rows=settings.PEOPLE_IMPORT_MAX_ROWS,
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
            return self.render_to_response(self.get_context_data(form=form))
        token = upload_keep(user=request.user, filename=upload.name, data=data)
        context = self.get_context_data()
        context.update(
            self.report_context(report),
            filename=upload.name,
            token=token,
            confirm_url=self.url("confirm"),
            upload_minutes=UPLOAD_MINUTES,
        )
        return TemplateResponse(request, "people/admin/member_import_preview.html", context)


class MemberImportConfirmView(MemberImportMixin, TemplateView):
    """Step 2: import the good rows of the upload that was previewed."""

    template_name = "people/admin/member_import_result.html"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            upload = upload_for(request.POST.get("token", ""), user=request.user)
        except UploadUnavailable as error:
            messages.error(request, str(error))
            return redirect(self.url("index"))
        with import_running(upload) as may_run:
            if not may_run:
                messages.warning(
                    request,
                    _("This file is being imported already; the member list shows the result in a moment."),
                )
                return redirect(reverse("people_members:index"))
            try:
                report = members_import(
                    io.BytesIO(upload.data),
                    actor=request.user,
                    filename=upload.filename,
                    max_rows=settings.PEOPLE_IMPORT_MAX_ROWS,
                )
            except ImportFileError as error:  # the file was checked at upload; settings may have changed
                messages.error(request, str(error))
                return redirect(self.url("index"))
        context = self.get_context_data()
        context.update(self.report_context(report), filename=upload.filename)
        return self.render_to_response(context)


def template_rows(user) -> list[list[str]]:
    """The header and one example row, with a branch the user manages when there is one."""
    branch = selectors.branches_for_user(user).order_by("township__path", "name").first()
    branch_name, township = (branch.name, branch.township.title) if branch else ("某某村党支部", "某某镇党校")
    return [TEMPLATE_HEADERS, ["张三", "13800000000", branch_name, "普通党员", "否", township]]


def template_notes() -> list[list[str]]:
    return [
        [_("Column"), _("What to fill in")],
        ["姓名", _("Required.")],
        [
            "手机号",
            _("Required: an 11-digit mobile number, also the member's login. Format the column as text."),
        ],
        ["党支部", _("Required: the name of a branch already in the system.")],
        ["类别", _("普通党员, 村两委成员 or 党支部书记; empty means 普通党员.")],
        ["流动党员", _("是 or 否; empty means 否.")],
        ["镇街党校", _("Optional: tells apart branches of the same name in different township schools.")],
        ["", _("Only the first sheet is imported. Importing a phone number again updates that member.")],
    ]


def template_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "党员"
    for row in rows:
        sheet.append([formula_safe(cell) for cell in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (12, 16, 24, 14, 10, 16), strict=True):
        sheet.column_dimensions[column].width = width
        for cell in sheet[column]:
            cell.number_format = "@"  # text: Excel keeps 11-digit phones whole
    notes = workbook.create_sheet(_("Notes"))
    for line in template_notes():
        notes.append([formula_safe(cell) for cell in line])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 70
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([formula_safe_text(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


class MemberImportTemplateView(View):
    def get(self, request, *args, **kwargs):
        if not may_import(request.user):
            return permission_denied(request)
        rows = template_rows(request.user)
        if request.GET.get("format") == "csv":
            response = HttpResponse(template_csv(rows), content_type="text/csv; charset=utf-8")
            suffix = "csv"
        else:
            response = HttpResponse(
                template_xlsx(rows),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            suffix = "xlsx"
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"member-import.{suffix}\"; filename*=UTF-8''"
            f"{quote(TEMPLATE_BASENAME)}.{suffix}"
        )
        return response


class MemberImportViewSet(ViewSet):
    name = "people_member_import"
    url_prefix = "people/member-import"
    icon = "upload"
    menu_label = gettext_lazy("Import members")

    @cached_property
    def menu_item_class(self):
        def is_shown(_item, request):
            return may_import(request.user)

        return type("MemberImportMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        return [
            path("", MemberImportView.as_view(viewset=self), name="index"),
            path("confirm/", MemberImportConfirmView.as_view(viewset=self), name="confirm"),
            path("template/", MemberImportTemplateView.as_view(), name="template"),
        ]
