"""`{% live_hls_for room role as hls %}`: the live room page's HLS offer (live_hls.client_hls) for the
person viewing it: the signed playlist URL and whether to start on HLS; None without it. Computed
once per request (the page asks in its head and in its body)."""

from django import template

from lms.classroom import live_hls

register = template.Library()
UNSET = object()


@register.simple_tag(takes_context=True)
def live_hls_for(context, room, role):
    request = context.get("request")
    found = getattr(request, "_live_hls_offer", UNSET)
    if found is UNSET:
        found = live_hls.client_hls(room=room, stage=room.stage, role=role)
        if request is not None:
            request._live_hls_offer = found
    return found
