"""Wagtail list exports (`list_export` on a ModelViewSet) as background exports.

`BackgroundExportIndexMixin` goes on an index view: its "Download XLSX/CSV" buttons start an export
job (after the view's own permission check) instead of building the file in the request.
`AdminListExport` is the worker's side: it sets up the same index view for the user who asked, with
the same filters, search and ordering, and writes its `list_export` columns in chunks."""

from collections.abc import Mapping

from django.conf import settings
from django.db.models import QuerySet
from django.test import RequestFactory
from django.urls import resolve, reverse
from wagtail.admin.views.generic import IndexView

from lms.exports.models import ExportFormat
from lms.exports.sources import ExportSource
from lms.exports.views import export_started
from lms.exports.writers import formula_safe

# Query parameters that change a page of the list but not what it holds.
NOT_FILTERS = {"export", "p"}


def list_query(query) -> list[list[str]]:
    """A list's query string as sorted [name, value] pairs, without paging and the export itself."""
    return sorted([key, value] for key in query for value in query.getlist(key) if key not in NOT_FILTERS)


class BackgroundExportIndexMixin:
    export_kind: str

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in ExportFormat.values:
            params = {"query": list_query(request.GET)}
            return export_started(request, kind=self.export_kind, params=params, fmt=fmt)
        return super().get(request, *args, **kwargs)


class AdminListExport(ExportSource):
    url_name: str  # the index view's URL name, e.g. "people_members:index"
    select_related: tuple[str, ...] = ()

    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        pairs = params.get("query") or []
        cleaned = sorted([str(key), str(value)] for key, value in pairs if str(key) not in NOT_FILTERS)
        return {"query": cleaned}

    def view(self):
        if not hasattr(self, "_view"):
            path = reverse(self.url_name)
            request = RequestFactory().get(path, [tuple(pair) for pair in self.params["query"]])
            request.user = self.user
            match = resolve(path)
            view = match.func.view_class(**match.func.view_initkwargs)
            view.setup(request, *match.args, **match.kwargs)
            self._view = view
        return self._view

    def allowed(self) -> bool:
        if not self.user.is_active or not self.user.has_perm("wagtailadmin.access_admin"):
            return False
        view = self.view()
        if view.permission_required is not None and not view.user_has_permission(view.permission_required):
            return False
        any_required = view.any_permission_required
        return any_required is None or view.user_has_any_permission(any_required)

    def filename(self) -> str:
        return self.view().get_filename()

    def headings(self):
        view = self.view()
        return [view.get_heading(view.model._default_manager.none(), field) for field in view.list_export]

    def open(self):
        view = self.view()
        items = view.get_queryset()
        if isinstance(items, QuerySet):
            if self.select_related:
                items = items.select_related(*self.select_related)
            items_iter = items.iterator(chunk_size=settings.EXPORTS_CHUNK_ROWS)
        else:  # search results
            items_iter = iter(items)
        rows = (
            [
                view.preprocess_field_value(field, value, self.fmt)
                for field, value in view.to_row_dict(item).items()
            ]
            for item in items_iter
        )
        return items.count(), rows


class FormulaSafeExportMixin:
    """On a Wagtail index view with `list_export`, for the files Wagtail writes in the request as for
    the background ones: every value through `formula_safe`."""

    def preprocess_field_value(self, field, value, export_format):
        return formula_safe(super().preprocess_field_value(field, value, export_format))


class FormulaSafeIndexView(FormulaSafeExportMixin, IndexView):
    pass
