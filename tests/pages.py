"""The HTML pages through Flask's test client, as a browser without scripts uses them: log in through
the form, read a page, post its forms with the CSRF token the page carried. (Chromium, for the pages'
scripts, is tests/browser.py.)"""

from __future__ import annotations

import re

CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageBrowser:
    """One person's browser: its own cookies, forms posted with the token their page carried."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def token(self, path: str = "/login") -> str:
        found = CSRF_TOKEN.search(self.get(path).get_data(as_text=True))
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict | None = None, page: str = "/login", **kw):
        """Post a form as the page at `page` would, token included."""
        return self.client.post(path, data={"csrf_token": self.token(page), **(data or {})}, **kw)

    def login(self, person, password: str | None = None):
        from tests.conftest import PASSWORD

        return self.post("/login", {"username": person.username, "password": password or PASSWORD})

    def text(self, path: str, status: int = 200) -> str:
        """The page at `path`, which must answer `status`."""
        response = self.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)


def logged_in(app, person) -> PageBrowser:
    """A new browser, logged in as `person` through the login form."""
    browser = PageBrowser(app.test_client())
    response = browser.login(person)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return browser


def page_login(app, person):
    """The test client of a browser logged in as `person` through the login form."""
    return logged_in(app, person).client


def page_post(client, page: str, path: str, data: dict):
    """Submit a form of `page` to `path`, with the page's CSRF token."""
    return PageBrowser(client).post(path, data, page=page)
