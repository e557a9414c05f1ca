"""The two ways tests build meetings (tests/factories.py) build the same thing: a test may switch from
HTTP to the services without its meeting changing under it."""

from __future__ import annotations

import pytest

from tests.helpers import events, ok

# What differs between two meetings built one after the other: their ids and the clock.
MADE_APART = {"id", "meeting_id", "created_at", "updated_at", "started_at", "closed_at", "notes_destroyed_at"}


def _same(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key not in MADE_APART}


@pytest.mark.parametrize("status", ["draft", "published", "in_progress", "closed"])
def test_services_build_what_the_api_builds(cabinet, status):
    through_http = cabinet.meeting(status, via="http")
    through_services = cabinet.meeting(status, via="service")
    assert through_services["status"] == status
    assert _same(through_services) == _same(through_http)
    sec = cabinet.api(cabinet.secretariat)
    as_read = [ok(sec.get(f"/meetings/{m['id']}")) for m in (through_http, through_services)]
    assert _same(as_read[1]) == _same(as_read[0])
    seen = [[(e["seq"], e["type"], e["data"]) for e in events(sec, m["id"])] for m in as_read]
    assert seen[1] == seen[0] and len(seen[0]) == ["draft", "published", "in_progress", "closed"].index(
        status
    )


def test_an_item_through_the_services_is_the_one_the_api_makes(cabinet):
    meetings = [cabinet.meeting("published", via=via) for via in ("http", "service")]
    restricted = {"confidential": True, "restricted_to": [cabinet.members[0].id], "presenter": "Bộ Tư pháp"}
    items = [
        cabinet.item(m["id"], "Phương án nhân sự", via=via, **restricted)
        for m, via in zip(meetings, ("http", "service"), strict=True)
    ]
    assert _same(items[1]) == _same(items[0]) and items[1]["meeting_id"] == meetings[1]["id"]
    # Only those cleared see it, whichever way it was made.
    for person, visible in ((cabinet.members[0], [1, 1]), (cabinet.members[1], [0, 0])):
        api = cabinet.api(person)
        assert [len(ok(api.get(f"/meetings/{m['id']}/agenda"))) for m in meetings] == visible
