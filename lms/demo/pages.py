"""The demo school tree and catalogues. Every page is looked up by its slug under its parent first,
so seeding twice creates nothing new."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page, Revision, Site
from wagtail.rich_text import RichText
from wagtail.signal_handlers import disable_reference_index_auto_update

from courses.models import (
    CitySchoolPage,
    CourseIndexPage,
    CourseModule,
    CoursePage,
    TeachingPointCategory,
    TeachingPointPage,
    TownshipSchoolPage,
)
from lms.demo import content
from lms.demo.content import Township


class Children:
    """The children of one page, looked up once; `ensure` adds and publishes the missing ones."""

    def __init__(self, parent: Page):
        self.parent = parent
        # A page created in this run (numchild 0 in memory) has no children to look up.
        found = parent.get_children().specific() if parent.numchild else []
        self.by_slug: dict[str, Page] = {page.slug: page for page in found}

    def first(self, model: type[Page]) -> Page | None:
        return next((page for page in self.by_slug.values() if isinstance(page, model)), None)

    def ensure(self, model: type[Page], slug: str, **fields) -> Page:
        page = self.by_slug.get(slug)
        if page is None:
            now = timezone.now()
            page = model(slug=slug, live=True, first_published_at=now, last_published_at=now, **fields)
            with disable_reference_index_auto_update():
                # Demo pages reference no images, documents or snippets: nothing to index.
                self.parent.add_child(instance=page)
            record_published_revision(page)
            self.by_slug[slug] = page
        return page


def record_published_revision(page: Page) -> None:
    """Record the page's content as its latest and live revision, as publishing would.

    `save_revision().publish()` saves the page twice more, and each save re-indexes it for search;
    writing the revision and pointing the page at it with an update is several times faster.
    """
    revision = Revision.objects.create(
        content_object=page,
        base_content_type=page.get_base_content_type(),
        content=page.serializable_data(),
        object_str=str(page),
    )
    Page.objects.filter(pk=page.pk).update(
        latest_revision=revision,
        live_revision=revision,
        latest_revision_created_at=revision.created_at,
        draft_title=page.title,
        has_unpublished_changes=False,
    )
    page.latest_revision = page.live_revision = revision
    page.latest_revision_created_at = revision.created_at


def city_ensure() -> CitySchoolPage:
    """The city school under the tree root, served at `/` by the default site."""
    city = Children(Page.get_first_root_node()).ensure(CitySchoolPage, **content.CITY_SCHOOL)
    site_root_ensure(city)
    return city


def site_root_ensure(city: CitySchoolPage) -> None:
    """Point the default site at the city school and remove Wagtail's empty "Welcome" page."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True)
    if site.root_page_id != city.pk or not site.site_name:
        site.root_page = city
        site.site_name = site.site_name or settings.WAGTAIL_SITE_NAME
        site.save()
    welcome = Page.objects.filter(
        depth=2,
        slug="home",
        numchild=0,
        content_type=ContentType.objects.get_for_model(Page),
        sites_rooted_here=None,
    )
    for page in welcome:
        page.delete()


def township_ensure(city: CitySchoolPage, index: int, town: Township) -> TownshipSchoolPage:
    description = content.TOWNSHIP_DESCRIPTION.format(
        school=town.school_title, town=town.name, industry=town.industry, heritage=town.heritage
    )
    return Children(city).ensure(
        TownshipSchoolPage,
        slug=town.slug,
        title=town.school_title,
        address=f"{content.CITY}{town.name}{town.road}{index + 1}号",
        head=content.TOWNSHIP_HEADS[index],
        phone=f"0558-62{index + 1:02d}{3300 + index * 17:04d}",
        description=description,
    )


def point_categories(index: int) -> list[str]:
    """Township `index` gets 3–5 points of different categories, rotating so that all five appear."""
    categories = TeachingPointCategory.values
    return [categories[(index + k) % len(categories)] for k in range(content.POINT_COUNTS[index])]


def teaching_points_ensure(township: TownshipSchoolPage, index: int, town: Township) -> None:
    warning, warning_host = content.WARNING_SITES[index % len(content.WARNING_SITES)]
    words = {
        "heritage": town.heritage,
        "village": town.villages[1],
        "short": town.short,
        "industry": town.industry,
        "warning": warning,
        "warning_host": warning_host,
    }
    children = Children(township)
    for number, category in enumerate(point_categories(index), start=1):
        title, host, text = content.POINT_TEXTS[category]
        children.ensure(
            TeachingPointPage,
            slug=f"point-{number}",
            title=title.format(**words),
            category=category,
            host_organisation=host.format(**words),
            capacity=40 + 20 * ((index + number) % 5),
            address=f"{content.CITY}{town.name}{town.villages[number % len(town.villages)]}村",
            description=f"<p>{text}</p>",
        )


def course_body(course: content.Course) -> list[tuple[str, object]]:
    return [
        ("heading", "课程目标"),
        ("paragraph", RichText(f"<p>{course.goal}</p>")),
        ("heading", "主要内容"),
        ("paragraph", RichText(f"<p>{course.content}</p>")),
        ("heading", "学习要求"),
        ("paragraph", RichText(f"<p>{content.COURSE_REQUIREMENT}</p>")),
    ]


def catalogue_courses(index: int | None, town: Township | None) -> dict[str, list[content.Course]]:
    """Four courses per module for the city (index None), two per module for township `index`."""
    if index is None or town is None:
        return {module: list(courses[:4]) for module, courses in content.COURSES.items()}
    chosen = {}
    for module, courses in content.COURSES.items():
        chosen[module] = [courses[(index + k) % len(courses)] for k in range(2)]
    local = content.Course(
        *(part.format(short=town.short, industry=town.industry) for part in content.LOCAL_COURSE)
    )
    chosen[CourseModule.PROFESSIONAL.value][1] = local
    return chosen


def catalogue_ensure(school: Page, courses: dict[str, list[content.Course]]) -> CourseIndexPage:
    siblings = Children(school)
    index_page = siblings.first(CourseIndexPage) or siblings.ensure(
        CourseIndexPage,
        slug="courses",
        title="课程目录",
        intro=content.CATALOGUE_INTRO.format(school=school.title),
    )
    children = Children(index_page)
    for module, module_courses in courses.items():
        for number, course in enumerate(module_courses, start=1):
            children.ensure(
                CoursePage,
                slug=f"{module}-{number}",
                title=course.title,
                module=module,
                summary=course.summary,
                hours=Decimal(content.COURSE_HOURS[(number + len(module)) % len(content.COURSE_HOURS)]),
                body=course_body(course),
            )
    return index_page


def school_tree_ensure() -> tuple[CitySchoolPage, list[TownshipSchoolPage]]:
    city = city_ensure()
    catalogue_ensure(city, catalogue_courses(None, None))
    townships = []
    for index, town in enumerate(content.TOWNSHIPS):
        township = township_ensure(city, index, town)
        teaching_points_ensure(township, index, town)
        catalogue_ensure(township, catalogue_courses(index, town))
        townships.append(township)
    return city, townships
