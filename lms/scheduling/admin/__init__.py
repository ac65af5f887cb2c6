"""The scheduling admin in Wagtail: the 培训 (Training) menu.

Training classes (created from the 5+1+N template, published, cancelled, copied, enrolled), the
compliance overview and the annual teaching plans. Every view loads its objects through the scoped
selectors and writes through `lms.scheduling.services`. Registered from `lms/scheduling/wagtail_hooks.py`.
"""
