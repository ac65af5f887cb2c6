"""The member home's "continue learning" card reads its courses here (the home view is not ours)."""

from django import template

from courses.learning_selectors import to_continue

register = template.Library()


@register.simple_tag
def learning_to_continue(member):
    return to_continue(member)
