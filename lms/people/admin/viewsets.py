"""The people menu (人员): branches, members, the teacher pool and its yearly review."""

import django_filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from lms.exports.admin_lists import FormulaSafeIndexView
from lms.people import selectors
from lms.people.admin.forms import BranchAdminForm, MemberAdminForm
from lms.people.admin.members import MemberCreateView, MemberEditView, MemberIndexView, migrant_cell
from lms.people.admin.review import TeacherPoolReviewViewSet, TeacherReviewViewSet
from lms.people.admin.scoping import ScopedModelViewSet
from lms.people.models import Branch, Member, Teacher


def _user(request):
    return request.user if request is not None else AnonymousUser()


def townships_for_request(request):
    return selectors.townships_managed_by(_user(request)).order_by("path")


def branches_for_request(request):
    return selectors.branches_for_user(_user(request)).order_by("township__path", "name")


class BranchFilterSet(WagtailFilterSet):
    township = django_filters.ModelChoiceFilter(
        queryset=townships_for_request, label=_("Township school"), empty_label=_("All")
    )

    class Meta:
        model = Branch
        fields = ["township", "kind"]


class MemberFilterSet(WagtailFilterSet):
    township = django_filters.ModelChoiceFilter(
        field_name="branch__township",
        queryset=townships_for_request,
        label=_("Township school"),
        empty_label=_("All"),
    )
    branch = django_filters.ModelChoiceFilter(
        queryset=branches_for_request, label=_("Branch"), empty_label=_("All")
    )

    class Meta:
        model = Member
        fields = ["township", "branch", "category", "is_migrant"]


class TeacherFilterSet(WagtailFilterSet):
    in_pool = django_filters.BooleanFilter(label=_("In the pool this year"), method="filter_in_pool")

    class Meta:
        model = Teacher
        fields = ["category", "in_pool"]

    def filter_in_pool(self, queryset, name, value):
        in_pool = Teacher.objects.in_pool_during(timezone.localdate().year)
        return queryset.filter(pk__in=in_pool) if value else queryset.exclude(pk__in=in_pool)


class BranchViewSet(ScopedModelViewSet):
    model = Branch
    name = "people_branches"
    url_prefix = "people/branches"
    icon = "group"
    menu_label = _("Party branches")
    inspect_view_enabled = True
    list_display = [
        "name",
        Column("township", label=_("Township school"), accessor="township", sort_key="township__path"),
        Column("kind", label=_("Kind"), accessor="get_kind_display", sort_key="kind"),
    ]
    filterset_class = BranchFilterSet
    search_fields = ["name", "township__title"]
    list_export = ["name", "township", "get_kind_display"]
    export_headings = {"township": _("Township school"), "get_kind_display": _("Kind")}
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("township", widget=forms.Select), FieldPanel("kind")],
        base_form_class=BranchAdminForm,
    )


class MemberViewSet(ScopedModelViewSet):
    model = Member
    name = "people_members"
    url_prefix = "people/members"
    icon = "user"
    menu_label = _("Party members")
    index_view_class = MemberIndexView
    add_view_class = MemberCreateView
    edit_view_class = MemberEditView
    copy_view_enabled = False  # a copy would share the phone, which is unique
    # Members are written in bulk outside the admin (imports, API), where the index would go stale.
    add_to_reference_index = False
    inspect_view_enabled = True
    inspect_view_fields = ["name", "phone", "branch", "category", "is_migrant", "created_at", "updated_at"]
    list_display = [
        "name",
        "phone",
        "branch",
        Column(
            "township",
            label=_("Township school"),
            accessor="branch.township",
            sort_key="branch__township__path",
        ),
        Column("category", label=_("Category"), accessor="get_category_display", sort_key="category"),
        Column("is_migrant", label=_("Migrant member"), accessor=migrant_cell, sort_key="is_migrant"),
        DateColumn("updated_at", label=_("Updated at"), sort_key="updated_at"),
    ]
    filterset_class = MemberFilterSet
    search_fields = ["name", "phone"]
    list_export = ["name", "phone", "branch", "branch.township", "get_category_display", "is_migrant"]
    export_headings = {
        "branch.township": _("Township school"),
        "get_category_display": _("Category"),
        "is_migrant": _("Migrant member"),
    }
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("phone"),
            FieldPanel("branch"),
            FieldPanel("category"),
            FieldPanel("is_migrant"),
        ],
        base_form_class=MemberAdminForm,
    )


class TeacherViewSet(ModelViewSet):
    index_view_class = FormulaSafeIndexView  # exported cells never run as formulas
    """Staff view the pool (they book from it); the organization department changes it.
    Both follow from the role groups' model permissions, so the default policy applies."""

    model = Teacher
    name = "people_teachers"
    url_prefix = "people/teachers"
    icon = "user"
    menu_label = _("Teacher pool")
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = [
        "name",
        Column("category", label=_("Category"), accessor="get_category_display", sort_key="category"),
        "organisation",
        "subjects",
        "active_from",
        "active_to",
    ]
    filterset_class = TeacherFilterSet
    search_fields = ["name", "organisation", "subjects", "phone"]
    list_export = [
        "name",
        "get_category_display",
        "organisation",
        "subjects",
        "phone",
        "active_from",
        "active_to",
    ]
    export_headings = {"get_category_display": _("Category")}
    form_fields = ["name", "category", "organisation", "subjects", "phone", "active_from", "active_to"]


class PeopleViewSetGroup(ViewSetGroup):
    menu_label = _("People")
    menu_icon = "group"
    menu_order = 200
    items = (
        MemberViewSet,
        BranchViewSet,
        TeacherViewSet,
        TeacherPoolReviewViewSet,
        TeacherReviewViewSet,
    )
