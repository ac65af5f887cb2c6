import os

import pytest

from tests.services import need_chromium

# Playwright's sync API runs an event loop in the test thread; Django's ORM guard would then refuse
# the (synchronous) database calls our fixtures make. The live server runs in its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Module scope: Playwright keeps an event loop alive in this thread while it runs, which would
# break the asyncio tests of later modules if the browser lived for the whole session.
def launched(args: list[str]):
    """Debian's Chromium, headless with `args`, for as long as the generator runs (a fixture's body)."""
    executable = need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def chromium():
    yield from launched(CHROMIUM_ARGS)


@pytest.fixture
def phone(chromium):
    """A phone-sized browser context (390×844, touch)."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    # The test is over: whatever the page still sends as it closes (the player's last heartbeat on
    # pagehide) must not reach the server while the test database is being emptied.
    context.route("**/*", lambda route: route.abort())
    context.close()
