"""SMS delivery runs as a background task after the request's transaction commits, so answering
"send me a code" takes the same time whether or not a text goes out, and a slow gateway does not
hold the request (with the immediate task backend it runs at once, after the answer is decided)."""

from django_tasks import task

from lms.accounts import sms


@task()
def sms_deliver(to: str, body: str) -> int:
    return sms.send_sms(to, body)
