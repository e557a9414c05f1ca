"""One setting, ECABINET_TIMEZONE, decides the time people read and write everywhere: the forms, the
pages, the documents the office issues and the mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecabinet.common import official
from tests.helpers import ok
from tests.pages import page_login, page_post


@pytest.fixture
def tokyo(app):
    """A cabinet nine hours ahead of UTC, two hours ahead of the default (Asia/Ho_Chi_Minh)."""
    app.config["ECABINET_TIMEZONE"] = "Asia/Tokyo"
    return app


def test_the_meeting_form_and_page_read_times_in_the_cabinets_zone(tokyo, cabinet):
    client = page_login(tokyo, cabinet.secretariat)
    response = page_post(
        client,
        "/meetings/new",
        "/meetings/new",
        {
            "title": "Phiên họp giờ Tokyo",
            "kind": "regular",
            "starts_at": "2026-12-01T08:00",
            "quorum_numerator": "2",
            "quorum_denominator": "3",
            "confirm_past": "on",  # a fixed date, which may be in the past when the test runs
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]

    (meeting,) = [
        m
        for m in ok(cabinet.api(cabinet.secretariat).get("/meetings"))
        if m["title"] == "Phiên họp giờ Tokyo"
    ]
    assert meeting["starts_at"] == "2026-11-30T23:00:00Z"
    page = client.get(f"/meetings/{meeting['id']}").get_data(as_text=True)
    assert "08:00" in page and "01/12/2026" in page
    edit = client.get(f"/meetings/{meeting['id']}/edit").get_data(as_text=True)
    assert 'value="2026-12-01T08:00"' in edit


def test_documents_the_office_issues_are_dated_in_the_cabinets_zone(tokyo):
    # 16:00 UTC on 30 November is 23:00 in Hà Nội but already 1 December in Tokyo.
    evening = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    with tokyo.app_context():
        assert official.vietnamese_date(evening) == "Hà Nội, ngày 01 tháng 12 năm 2026"
        tokyo.config["ECABINET_TIMEZONE"] = "Asia/Ho_Chi_Minh"
        assert official.vietnamese_date(evening) == "Hà Nội, ngày 30 tháng 11 năm 2026"


def test_an_unknown_zone_stops_the_app_at_start(tmp_path):
    from ecabinet import create_app
    from ecabinet.config import TestConfig

    config = TestConfig(f"sqlite:///{tmp_path / 'db'}", str(tmp_path / "storage"))
    config.ECABINET_TIMEZONE = "Asia/Nowhere"
    with pytest.raises(ValueError, match="Asia/Nowhere"):
        create_app(config)
