"""The three tiers as a Wagtail page tree, and the course catalogue under each school.

    CitySchoolPage → TownshipSchoolPage → TeachingPointPage
    CitySchoolPage / TownshipSchoolPage → CourseIndexPage → CoursePage

The page-type rules below make any other shape impossible, and because the tree *is* the network,
Wagtail's page permissions on a township's page scope its staff to their own subtree.
"""

from django.db import models
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.contrib.routable_page.models import path as routable_path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from courses.blocks import CourseBodyBlock, PhotoStreamBlock
from courses.learning_forms import CoursePageForm, TeachingPointPageForm
from courses.learning_models import CourseLearner, Lesson, LessonCompletion  # noqa: F401 (the app's models)
from courses.search import cjk_spaced


class TeachingPointCategory(models.TextChoices):
    PARTY_SPIRIT = "party_spirit", _("Party-spirit education")
    FEATURED_VILLAGE = "featured_village", _("Featured village")
    INDUSTRIAL_BASE = "industrial_base", _("Industrial base")
    PRACTICAL_SKILLS = "practical_skills", _("Practical-skills training")
    WARNING_EDUCATION = "warning_education", _("Warning education")


class CourseModule(models.TextChoices):
    GENERAL = "general", _("General education")
    PROFESSIONAL = "professional", _("Professional education")
    THEMATIC = "thematic", _("Thematic education")


class SchoolFieldsMixin(models.Model):
    """What every place in the network has: where it is, what it is, what it looks like."""

    address = models.CharField(_("address"), max_length=255, blank=True)
    description = RichTextField(_("description"), blank=True)
    photos = StreamField(PhotoStreamBlock(), blank=True, verbose_name=_("photos"))

    place_panels = [
        FieldPanel("address"),
        FieldPanel("description"),
        FieldPanel("photos"),
    ]

    class Meta:
        abstract = True


class SchoolTimetableMixin(RoutablePageMixin):
    """A school's public timetable at <school>/timetable/: its published classes still to come or
    under way, with their sessions (time, item, place, teacher). Nothing about members."""

    @routable_path("timetable/", name="timetable")
    def timetable(self, request):
        from lms.scheduling.selectors import public_timetable  # scheduling imports this module

        return self.render(
            request,
            template="courses/school_timetable.html",
            context_overrides={"training_classes": public_timetable(self)},
        )


class CitySchoolPage(SchoolTimetableMixin, SchoolFieldsMixin, Page):
    """市委党校: the top of one county's network (several counties may share a deployment)."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.TownshipSchoolPage", "courses.CourseIndexPage"]

    content_panels = Page.content_panels + SchoolFieldsMixin.place_panels
    search_fields = Page.search_fields + [index.SearchField("description")]

    class Meta:
        verbose_name = _("city party school")
        verbose_name_plural = _("city party schools")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["township_schools"] = TownshipSchoolPage.objects.child_of(self).live().order_by("path")
        context["course_index"] = CourseIndexPage.objects.child_of(self).live().first()
        return context


class TownshipSchoolPage(SchoolTimetableMixin, SchoolFieldsMixin, Page):
    """镇街党校: one per township, meeting the 'six haves'."""

    head = models.CharField(_("head of school"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    parent_page_types = ["courses.CitySchoolPage"]
    subpage_types = ["courses.TeachingPointPage", "courses.CourseIndexPage"]

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("head"), FieldPanel("phone")], heading=_("Contact")),
        *SchoolFieldsMixin.place_panels,
    ]
    search_fields = Page.search_fields + [index.SearchField("description")]

    class Meta:
        verbose_name = _("township party school")
        verbose_name_plural = _("township party schools")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["teaching_points"] = TeachingPointPage.objects.child_of(self).live().order_by("path")
        context["courses"] = CoursePage.objects.descendant_of(self).live().order_by("module", "title")
        return context


class TeachingPointPage(RoutablePageMixin, SchoolFieldsMixin, Page):
    """基层教学点: a site where teaching happens on location (the '+1' of 5+1+N)."""

    category = models.CharField(_("category"), max_length=32, choices=TeachingPointCategory.choices)
    host_organisation = models.CharField(
        _("host organisation"),
        max_length=200,
        blank=True,
        help_text=_("Department or enterprise that set the teaching point up, if not the township."),
    )
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    # The online hall (网上展厅) at <teaching point>/hall/: exhibits, a short video, an audio guide.
    hall_intro = RichTextField(_("hall introduction"), blank=True)
    hall_photos = StreamField(PhotoStreamBlock(), blank=True, verbose_name=_("hall gallery"))
    hall_video = models.ForeignKey(
        "vod.Video",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hall video"),
    )
    hall_audio = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("audio guide"),
        help_text=_("An audio file (MP3 or M4A) uploaded as a document."),
    )

    parent_page_types = ["courses.TownshipSchoolPage"]
    subpage_types = []
    base_form_class = TeachingPointPageForm

    content_panels = Page.content_panels + [
        FieldPanel("category"),
        FieldPanel("host_organisation"),
        FieldPanel("capacity"),
        *SchoolFieldsMixin.place_panels,
        MultiFieldPanel(
            [
                FieldPanel("hall_intro"),
                FieldPanel("hall_photos"),
                FieldPanel("hall_video"),
                FieldPanel("hall_audio"),
            ],
            heading=_("Online hall"),
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("description"),
        index.SearchField("address"),
        index.FilterField("category"),
    ]

    class Meta:
        verbose_name = _("teaching point")
        verbose_name_plural = _("teaching points")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=TeachingPointCategory.values),
                name="teaching_point_category_valid",
                violation_error_message=_("This is not a valid teaching point category."),
            )
        ]

    @property
    def township_school(self):
        return self.get_parent().specific

    @routable_path("hall/", name="hall")
    def hall(self, request):
        """The online hall (网上展厅) at <teaching point>/hall/."""
        from courses.learning_views import teaching_point_hall  # views import this module

        return teaching_point_hall(request, self)

    @property
    def has_hall(self) -> bool:
        return bool(self.hall_photos or self.hall_video_id or self.hall_audio_id or self.hall_intro)


class CourseIndexPage(Page):
    """A school's course catalogue (one per school)."""

    intro = RichTextField(_("introduction"), blank=True)

    parent_page_types = ["courses.CitySchoolPage", "courses.TownshipSchoolPage"]
    subpage_types = ["courses.CoursePage"]

    content_panels = Page.content_panels + [FieldPanel("intro")]

    class Meta:
        verbose_name = _("course catalogue")
        verbose_name_plural = _("course catalogues")

    @classmethod
    def can_create_at(cls, parent):
        # One catalogue per school: a second one would split the school's courses.
        return super().can_create_at(parent) and not cls.objects.child_of(parent).exists()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        courses = CoursePage.objects.child_of(self).live().order_by("module", "title")
        module = request.GET.get("module")
        if module in CourseModule.values:
            courses = courses.filter(module=module)
        context["courses"] = courses
        context["modules"] = CourseModule.choices
        context["current_module"] = module
        return context


class CoursePage(Page):
    """A course in a school's catalogue: general, professional or thematic."""

    module = models.CharField(_("module"), max_length=16, choices=CourseModule.choices)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    hours = models.DecimalField(_("study hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    body = StreamField(CourseBodyBlock(), blank=True, verbose_name=_("body"))
    # Online learning: a course with lessons is an online course any member may start; "pushed" puts
    # it on the audience's 我的学习 without them starting it.
    pushed = models.BooleanField(
        _("push to the audience"),
        default=False,
        help_text=_("Members of the audience find the course in their learning without starting it."),
    )
    audience_categories = models.JSONField(
        _("audience: member categories"),
        default=list,
        blank=True,
        help_text=_("Leave empty for every category."),
    )
    audience_branches = ParentalManyToManyField(
        "people.Branch",
        blank=True,
        related_name="pushed_courses",
        verbose_name=_("audience: branches"),
        help_text=_("Leave empty for every branch."),
    )
    checks_required = models.BooleanField(
        _("lesson checks must be passed"),
        default=False,
        help_text=_("A lesson with a check counts as complete only when its check is passed."),
    )

    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = []
    base_form_class = CoursePageForm

    content_panels = Page.content_panels + [
        FieldPanel("module"),
        FieldPanel("summary"),
        FieldPanel("hours"),
        FieldPanel("body"),
        InlinePanel("lessons", heading=_("Lessons"), label=_("Lesson")),
        MultiFieldPanel(
            [
                FieldPanel("checks_required"),
                FieldPanel("pushed"),
                FieldPanel("audience_categories"),
                FieldPanel("audience_branches"),
            ],
            heading=_("Online learning"),
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("search_text"),
        index.FilterField("module"),
    ]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(module__in=CourseModule.values),
                name="course_module_valid",
                violation_error_message=_("This is not a valid course module."),
            ),
            models.CheckConstraint(
                condition=models.Q(hours__isnull=True) | models.Q(hours__gt=0),
                name="course_hours_positive",
                violation_error_message=_("The hours must be more than zero."),
            ),
        ]

    def search_text(self) -> str:
        """Title, summary and body with CJK characters spaced out (see courses/search.py)."""
        body_text = " ".join(
            strip_tags(text)
            for block in self.body
            for text in block.block.get_searchable_content(block.value)
        )
        return cjk_spaced(f"{self.title} {self.summary} {body_text}")

    @property
    def school(self):
        """The city or township school whose catalogue holds this course."""
        return self.get_parent().get_parent().specific
