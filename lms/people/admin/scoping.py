"""Generic Wagtail model views whose every object comes from the rows the user may act on.

Wagtail's generic views check *model* permissions and then load objects from the model's default
manager. For branches and members that is not enough: township staff may change members, but only
their own township's. Here each view loads its objects from the registered permission policy's
`instances_user_has_any_permission_for`, so an object outside the user's scope is simply not found
(404), whichever entry point is used: index (and its export), edit, delete, inspect, copy, history,
usage.
"""

from collections.abc import Iterable

from django.contrib.admin.utils import unquote
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet

from lms.exports.admin_lists import FormulaSafeExportMixin

ANY_ACTION = ("add", "change", "delete", "view")


class ScopedObjectsMixin:
    def scoped_queryset(self, actions: Iterable[str]) -> QuerySet:
        return self.permission_policy.instances_user_has_any_permission_for(self.request.user, list(actions))


class ScopedIndexView(FormulaSafeExportMixin, ScopedObjectsMixin, generic.IndexView):
    def get_base_queryset(self):
        return self.scoped_queryset(self.any_permission_required)


class ScopedCreateView(generic.CreateView):
    """Nothing to scope before the object exists; the form limits the choices (see forms.py)."""


class ScopedCopyView(ScopedObjectsMixin, generic.CopyView):
    def get_object(self, queryset=None):
        pk = unquote(str(self.kwargs[self.pk_url_kwarg]))
        return get_object_or_404(self.scoped_queryset(["change", "view"]), pk=pk)


class ScopedEditView(ScopedObjectsMixin, generic.EditView):
    def get_queryset(self):
        return self.scoped_queryset(["change"])


class ScopedDeleteView(ScopedObjectsMixin, generic.DeleteView):
    def get_queryset(self):
        return self.scoped_queryset(["delete"])

    def form_valid(self, form):
        # The reference index does not know every row that refers to the object (members are
        # imported and enrolled outside the admin), so the database has the last word.
        try:
            return super().form_valid(form)
        except (ProtectedError, RestrictedError):
            messages.error(
                self.request,
                _("“%(object)s” cannot be deleted while other records refer to it.")
                % {"object": self.object},
            )
            return redirect(self.get_success_url())


class ScopedInspectView(ScopedObjectsMixin, generic.InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(self.scoped_queryset(ANY_ACTION), pk=unquote(str(self.pk)))


class ScopedHistoryView(ScopedObjectsMixin, history.HistoryView):
    def get_base_object_queryset(self):
        return self.scoped_queryset(self.any_permission_required)


class ScopedUsageView(ScopedObjectsMixin, usage.UsageView):
    def get_base_object_queryset(self):
        return self.scoped_queryset([self.permission_required])


class ScopedModelViewSet(ModelViewSet):
    """A ModelViewSet for a model whose permission policy scopes rows per user."""

    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
    copy_view_class = ScopedCopyView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
