"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

Playwright downloads no browser here. Without Chromium or the playwright package a browser test is
skipped, unless REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def sync_playwright():
    """Playwright's entry point, or a skip (a failure under REQUIRE_BROWSER=1) saying what is missing."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright as entry
    except ImportError:
        entry = None
        missing.append("the playwright package is not installed (pip install -e '.[browser]')")
    if missing:
        reason = "; ".join(missing)
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return entry


def log_in(page, url: str, username: str, password: str | None = None) -> None:
    """Log in through the login page, as a person would, and wait to be let in."""
    from tests.conftest import PASSWORD

    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/login" not in address)


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Put into every page before its own scripts: what the Content-Security-Policy refused (an inline script,
# a style attribute, a connection elsewhere) is said in the console, where PolicedBrowser hears it.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`Content-Security-Policy refused ${e.blockedURI || "inline"} (${e.effectiveDirective})`
    + ` at ${e.sourceFile || document.location.pathname}:${e.lineNumber} on ${document.location.pathname}`);
});
"""


class PolicedBrowser:
    """The test's Chromium, whose every page reports what the server's Content-Security-Policy refused
    into `violations` (the `browser` fixture fails a test that leaves any): a page the policy broke
    fails every browser test that opens it, not only the test written for the policy.

    `page.wait_for_function` is given a function (`"() => …"`): Playwright evaluates a bare expression
    again at each poll, an eval that the policy refuses."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        self._watch(context)
        return context

    def new_page(self, **options):
        page = self._browser.new_page(**options)
        self._watch(page.context)
        return page

    def _watch(self, context) -> None:
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console", self._heard)

    def _heard(self, message) -> None:
        if message.type == "error" and message.text.startswith("Content-Security-Policy refused"):
            self.violations.append(message.text)

    def __getattr__(self, name):
        return getattr(self._browser, name)


class Device:
    """One person's logged-in browser (a tablet by default) for a role's day: it answers every
    confirmation with OK, keeps the questions it was asked and the page's script errors, and keeps a
    screenshot of each step under test-artifacts/<day>/."""

    def __init__(self, browser, server_url: str, person, day: str, viewport: dict | None = None):
        self.context = browser.new_context(
            viewport=viewport or {"width": 1024, "height": 768}, locale="vi-VN"
        )
        self.page = self.context.new_page()
        self.day = day
        self.errors: list[str] = []
        self.asked: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", self._answer)
        log_in(self.page, server_url, person.username)

    def _answer(self, dialog) -> None:
        self.asked.append(dialog.message)
        dialog.accept()

    def submit(self, button) -> None:
        """Presses a button that posts its form, and waits for the page the server answers with: reading
        the page before that reads the one the button was on."""
        with self.page.expect_navigation():
            button.click()

    def shot(self, step: str) -> None:
        folder = ARTIFACTS / self.day
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / f"{step}.png"), full_page=True)

    def step(self, step: str) -> None:
        """A step of a role's day: photographed, and the page as it then stands fits the screen (nothing
        sticks out sideways) and passes axe-core, whatever the step has opened, refused or drawn."""
        self.shot(step)
        assert sticking_out(self.page) == {}, step
        assert_accessible(self.page, step)

    def close(self) -> list[str]:
        """Closes the browser; the script errors the page met."""
        self.context.close()
        return self.errors


# axe-core's worst two levels: a person with a screen reader or a keyboard cannot use what they flag.
BLOCKING_IMPACTS = ("serious", "critical")


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it now stands, one line each (axe-core is
    the version the lock installs, from the `browser` extra, injected into the page: nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]


def assert_accessible(page, where: str) -> None:
    """No serious or critical axe-core violation on the page as it now stands."""
    found = blocking_violations(page)
    assert not found, f"axe-core on {where}:\n" + "\n".join(found)


def sticking_out(page) -> dict:
    """How far the page scrolls sideways, and what sticks out past the window's right edge to make it (a
    table or a tool bar that scrolls inside its own box is no such thing); {} when nothing does."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const extra = document.documentElement.scrollWidth - width;
          if (extra <= 0) return {};
          // Inside a box that scrolls or clips and itself fits: an absolute element only in such a box
          // that is its containing block or outside it.
          const clipped = el => {
            const start = getComputedStyle(el).position === 'absolute' ? el.offsetParent : el.parentElement;
            for (let up = start; up && up !== document.body; up = up.parentElement) {
              if (getComputedStyle(up).overflowX !== 'visible') return up.getBoundingClientRect().right <= width + 1;
            }
            return false;
          };
          const culprits = [...document.querySelectorAll('body *')]
            .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > width + 1 && !clipped(el))
            .map(el => el.outerHTML.slice(0, 120));
          return {pixels: extra, culprits: culprits.slice(0, 6)};
        }"""
    )
