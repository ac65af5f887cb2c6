"""Keep the stored 5+1+N flag true to the page tree: when a teaching point or its school is
unpublished, published again or moved, the classes visiting it are checked again (a site visit at a
point that belongs to no school breaks the template)."""

from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from courses.models import CitySchoolPage, TeachingPointPage, TownshipSchoolPage
from lms.scheduling.models import ClassStatus, TrainingClass
from lms.scheduling.selectors import sessions_prefetch

WATCHED = (TeachingPointPage, TownshipSchoolPage, CitySchoolPage)


def classes_visiting(page: Page):
    points = TeachingPointPage.objects.filter(path__startswith=page.path)
    return (
        TrainingClass.objects.filter(sessions__teaching_point__in=points)
        .exclude(status=ClassStatus.CANCELLED)
        .prefetch_related(sessions_prefetch())
        .distinct()
    )


def refresh_compliance(sender, instance, **kwargs):
    from lms.scheduling.services import class_compliance_refresh

    class_compliance_refresh(classes_visiting(instance))


def connect():
    for model in WATCHED:
        for name, signal in (
            ("published", page_published),
            ("unpublished", page_unpublished),
            ("moved", post_page_move),
        ):
            signal.connect(
                refresh_compliance, sender=model, dispatch_uid=f"scheduling-{name}-{model.__name__}"
            )
