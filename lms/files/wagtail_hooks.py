"""Admin side of file privacy: the admin API lists only files the user may see, and a signed-in user
refused a document gets 404 rather than a login page (they are signed in already)."""

from django.http import Http404
from wagtail import hooks
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet

from lms.files.selectors import collection_restrictions, restrictions_pass, visible_to


class VisibleDocumentsAPIViewSet(DocumentsAdminAPIViewSet):
    """Wagtail's endpoint checks each restriction with two queries; this one reads them at once."""

    def get_queryset(self):
        return visible_to(self.request, self.model.objects.select_related("collection").order_by("id"))


class VisibleImagesAPIViewSet(ImagesAdminAPIViewSet):
    def get_queryset(self):
        return visible_to(self.request, self.model.objects.select_related("collection").order_by("id"))


@hooks.register("construct_admin_api", order=100)  # after Wagtail's own registrations, to replace them
def register_visible_file_endpoints(router):
    router.register_endpoint("documents", VisibleDocumentsAPIViewSet)
    router.register_endpoint("images", VisibleImagesAPIViewSet)


@hooks.register("before_serve_document", order=-100)
def refuse_signed_in_readers_outside_the_collection(document, request):
    """Anonymous visitors of a restricted document go on to Wagtail's login redirect; a signed-in user
    who may not read it gets 404, as for an image, so the answer does not confirm the file exists."""
    if request.user.is_authenticated and not restrictions_pass(
        request, collection_restrictions(document.collection)
    ):
        raise Http404("No such document.")
