"""The people admin in Wagtail: scoped views, forms and the teacher pool's yearly review.

Registered from `lms/people/wagtail_hooks.py`. (Django's own admin, which also looks for an `admin`
module in each app, finds nothing to register here.)
"""
