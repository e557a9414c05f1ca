"""Steps the browser tests share (STYLE.md, pattern 14): what a member does on the pages in Chromium, each
written once, so that a selector or a wait lives in one place. The browser itself is tests/browser.py."""

from __future__ import annotations

import time

from tests.browser import log_in
from tests.helpers import ok

# The words on the first page of the `document` fixture's paper (tests/conftest.py) that a reader marks.
WORDS = "Phạm vi điều chỉnh"

TABLET = {"width": 1024, "height": 768}


def logged_in_page(browser, server_url: str, person, viewport: dict = TABLET, service_workers: str = "allow"):
    """A person's browser (tablet-sized unless told), logged in through the form: its context, page and
    the page's script errors.

    `service_workers` is Playwright's, "allow" by default as in Playwright. The viewer's tests of its
    own keeping of unsaved marks ask for "block": Playwright's offline mode does not reach a service
    worker's requests (its issue 2311), so a mark "made offline" went through the offline app's worker
    to the server now and then. The offline app's tests need the worker: "allow"."""
    context = browser.new_context(viewport=viewport, locale="vi-VN", service_workers=service_workers)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, server_url, person.username)
    return context, page, errors


# The meeting page's live client is connected.
LIVE = "() => window.ecabinetMeeting && window.ecabinetMeeting.client.online"


def open_live_meeting(page, server_url: str, meeting: dict) -> None:
    """Open the meeting's page and wait until it follows the meeting live."""
    page.goto(f"{server_url}/meetings/{meeting['id']}")
    page.wait_for_function(LIVE, timeout=15000)


def words_on_page(page, words: str, page_number: int = 1):
    """The viewer's text on a page of the paper that holds `words` (once the text layer is drawn)."""
    return page.locator(f'.vw-page[data-page="{page_number}"] .textLayer.ready span', has_text=words).first


def select_words(page, words) -> None:
    """Drag across the words with the mouse, as a finger selects them."""
    box = words.bounding_box()
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 1, middle, steps=12)
    page.mouse.up()


def highlight_offline(context, page, server_url: str, document: dict) -> None:
    """Open the paper, go offline and highlight WORDS: the mark waits, unsaved, in the browser."""
    page.goto(f"{server_url}/documents/{document['id']}")
    page.wait_for_function("() => document.getElementById('viewer').dataset.annotations === 'loaded'")
    words = words_on_page(page, WORDS)
    words.wait_for(timeout=20000)
    context.set_offline(True)
    select_words(page, words)
    page.click('[data-tool="highlight"]')
    page.wait_for_function(
        "() => document.getElementById('vw-save').dataset.state === 'unsaved'", timeout=10000
    )


def saved_annotations(api, document_id: int, timeout: float = 15) -> list[dict]:
    """The document's annotations as the server has them, once it has any (or [] after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        found = ok(api.get(f"/documents/{document_id}/annotations"))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


# What the viewer's canvas shows inside a rectangle of the page, in PDF points: the share of its
# pixels that are ink (dark, as text is), the rectangle shrunk by `inset` points to leave out a border.
_INK = """([number, rect, inset]) => {
  const pv = window.ecabinetViewer.state.pages[number - 1];
  const [x0, y0] = pv.viewport.convertToViewportPoint(rect[0] + inset, rect[1] + inset);
  const [x1, y1] = pv.viewport.convertToViewportPoint(rect[2] - inset, rect[3] - inset);
  const ratio = pv.canvas.width / pv.viewport.width;
  const left = Math.round(Math.min(x0, x1) * ratio), top = Math.round(Math.min(y0, y1) * ratio);
  const width = Math.round(Math.abs(x1 - x0) * ratio), height = Math.round(Math.abs(y1 - y0) * ratio);
  const { data } = pv.canvas.getContext("2d").getImageData(left, top, width, height);
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 3 * 160) ink += 1;
  return ink / (width * height);
}"""


def ink_on_page(page, rect: list[float], page_number: int = 1, inset: float = 1.5) -> float:
    """The share of ink in `rect` (PDF points) of the page as the viewer has drawn it, once drawn."""
    page.locator(f'.vw-page[data-page="{page_number}"].rendered canvas').wait_for()
    return page.evaluate(_INK, [page_number, rect, inset])
