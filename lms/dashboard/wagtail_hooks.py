"""The admin home per role: Wagtail's site summary (page, image and document counts, half of it in
English) gives way to panels with what each role does today (panels.py). Wagtail's own panels stay:
they show only when there is something in them (pages awaiting moderation, recent edits, locks)."""

from wagtail import hooks

from lms.dashboard.panels import panels_for


@hooks.register("construct_homepage_panels")
def role_home_panels(request, panels):
    panels.extend(panels_for(request.user))


@hooks.register("construct_homepage_summary_items", order=1000)  # after the apps that add items
def no_site_summary(request, summary_items):
    summary_items.clear()
