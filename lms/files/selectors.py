"""Reads about files: which collections a request may see, which image a media path belongs to.

A collection is hidden from a request when it or one of its ancestors carries a view restriction the
request does not pass (Wagtail's rule: "groups" lets in superusers and members of the listed groups,
"login" any signed-in user, "password" whoever entered it in this session). Wagtail applies the same
rule itself to document downloads; these functions apply it to images and to the admin's listings
without a query per restriction.
"""

from django.db.models import Q
from django.http import HttpRequest
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction

Image = get_image_model()
Rendition = Image.get_rendition_model()

ORIGINALS_FOLDER = "original_images/"
RENDITIONS_FOLDER = "images/"


def _user_group_ids(request: HttpRequest) -> set[int]:
    user = request.user
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_lms_group_ids", None)
    if cached is None:
        cached = set(user.groups.values_list("id", flat=True))
        user._lms_group_ids = cached
    return cached


def _passes(restriction: CollectionViewRestriction, request: HttpRequest) -> bool:
    if restriction.restriction_type == CollectionViewRestriction.GROUPS:
        if request.user.is_authenticated and request.user.is_superuser:
            return True
        allowed = {group.id for group in restriction.groups.all()}
        return bool(allowed & _user_group_ids(request))
    if restriction.restriction_type == CollectionViewRestriction.LOGIN:
        return request.user.is_authenticated
    if restriction.restriction_type == CollectionViewRestriction.PASSWORD:
        passed = request.session.get(CollectionViewRestriction.passed_view_restrictions_session_key, [])
        return restriction.id in passed
    return True


def hidden_collection_ids(request: HttpRequest) -> set[int]:
    """Ids of the collections whose files this request may not see (3 queries at most)."""
    restrictions = CollectionViewRestriction.objects.select_related("collection").prefetch_related("groups")
    denied_paths = [r.collection.path for r in restrictions if not _passes(r, request)]
    if not denied_paths:
        return set()
    under_denied = Q()
    for path in denied_paths:
        under_denied |= Q(path__startswith=path)
    return set(Collection.objects.filter(under_denied).values_list("id", flat=True))


def collection_restrictions(collection: Collection) -> list[CollectionViewRestriction]:
    """The view restrictions on the collection and its ancestors (2 queries, none per ancestor)."""
    steplen = Collection.steplen
    ancestor_paths = [collection.path[:end] for end in range(steplen, len(collection.path) + 1, steplen)]
    restrictions = CollectionViewRestriction.objects.filter(collection__path__in=ancestor_paths)
    return list(restrictions.prefetch_related("groups"))


def restrictions_pass(request: HttpRequest, restrictions: list[CollectionViewRestriction]) -> bool:
    return all(_passes(restriction, request) for restriction in restrictions)


def image_for_media_path(path: str):
    """The image whose original or rendition is stored at `path` (relative to MEDIA_ROOT), or None."""
    if path.startswith(ORIGINALS_FOLDER):
        return Image.objects.select_related("collection").filter(file=path).first()
    if path.startswith(RENDITIONS_FOLDER):
        rendition = Rendition.objects.select_related("image__collection").filter(file=path).first()
        return rendition.image if rendition else None
    return None


def visible_to(request: HttpRequest, queryset):
    """Documents or images (a queryset of either) the request may see."""
    return queryset.exclude(collection__in=hidden_collection_ids(request))
