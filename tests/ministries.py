"""What the task tests start from: two ministries with a minister each, and a meeting whose first item
has a decision to give as a task (the `ministries` fixture, tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import ok


def later(days: float = 10) -> str:
    """A deadline `days` from now, as the API takes it."""
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


class Ministries:
    """Two ministries with a minister each, and a meeting whose first item has a decision."""

    def __init__(self, cabinet):
        self.cabinet = cabinet
        admin = cabinet.api(cabinet.admin)
        self.justice = ok(admin.post("/organizations", json={"name": "Bộ Tư pháp"}), 201)
        self.finance = ok(admin.post("/organizations", json={"name": "Bộ Tài chính"}), 201)
        self.spare = ok(admin.post("/organizations", json={"name": "Bộ Xây dựng"}), 201)
        self.minister = cabinet.members[0]  # Bộ Tư pháp
        self.other = cabinet.members[1]  # Bộ Tài chính
        ok(admin.patch(f"/users/{self.minister.id}", json={"organization": self.justice["id"]}))
        ok(admin.patch(f"/users/{self.other.id}", json={"organization": self.finance["id"]}))
        self.meeting = cabinet.meeting("in_progress")
        self.item = cabinet.item(self.meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
        self.undecided = cabinet.item(self.meeting["id"], "Nghị định về đầu tư công")
        ok(
            cabinet.api(cabinet.clerk).put(
                f"/meetings/{self.meeting['id']}/minutes",
                json={
                    "entries": [
                        {
                            "agenda_item_id": self.item["id"],
                            "decision": "Giao Bộ Tư pháp hoàn thiện dự án Luật.",
                        }
                    ]
                },
            )
        )

    @property
    def sec(self):
        return self.cabinet.api(self.cabinet.secretariat)

    def assign(self, **overrides):
        body = {
            "text": "Hoàn thiện hồ sơ dự án Luật Đất đai (sửa đổi), trình Quốc hội",
            "lead_organization_id": self.justice["id"],
            "cooperating_organization_ids": [self.finance["id"]],
            "owner_id": self.minister.id,
            "deadline": later(),
            "agenda_item_id": self.item["id"],
        }
        body.update(overrides)
        return self.sec.post("/tasks", json=body)
