"""The demo cabinet a newcomer sees first."""

from __future__ import annotations

import pyotp

from ecabinet.demo.data import DEMO_PASSWORD, DEMO_TOTP


def _login(client, username):
    r = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.get_json()
    if username in DEMO_TOTP:  # the printed secret makes the code
        code = pyotp.TOTP(DEMO_TOTP[username]).now()
        r = client.post("/api/v1/auth/mfa", json={"challenge": r.get_json()["challenge"], "code": code})
        assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def test_seed_demo_fills_an_empty_database_once(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "Demo cabinet created" in first.output and "thutuong" in first.output
    assert all(secret in first.output for secret in DEMO_TOTP.values())
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already in place" in again.output

    member = _login(client, "bt.taichinh")
    meetings = client.get("/api/v1/meetings", headers=member).get_json()
    assert sorted(m["title"] for m in meetings) == [
        "Phiên họp Chính phủ thường kỳ tháng 10/2026",
        "Phiên họp Chính phủ thường kỳ tháng 11/2026",
    ]  # the draft is hidden
    # The session already held was held with a quorum: its minutes are the example of a record.
    [october] = [m for m in meetings if m["title"].endswith("10/2026")]
    assert october["quorum_at_start"]["quorum"] is True
    assert october["attendance"]["members_present"] == 12 and october["attendance"]["members"] == 14
    meetings = [m for m in meetings if m["title"].endswith("11/2026")]
    agenda = client.get(f"/api/v1/meetings/{meetings[0]['id']}", headers=member).get_json()["agenda"]
    assert [i["number"] for i in agenda] == ["1", "1.1", "1.2", "2", "3", "4"]
    assert not any("MẬT" in i["title"] for i in agenda)
    cleared = _login(client, "bt.noivu")
    assert any(
        i["confidential"]
        for i in client.get(f"/api/v1/meetings/{meetings[0]['id']}", headers=cleared).get_json()["agenda"]
    )
    secretariat = _login(client, "vpcp")
    assert len(client.get("/api/v1/meetings", headers=secretariat).get_json()) == 3
    # Positions stated before the session, and the consent block the secretariat prepared.
    table = client.get(f"/api/v1/meetings/{meetings[0]['id']}/positions", headers=secretariat).get_json()
    assert [r["counts"]["object"] for r in table if r["counts"]["object"]] == [1]
    assert [r["agenda_item_id"] for r in table if r["consent"]] == [agenda[4]["id"]]
    ballots = client.get("/api/v1/ballots", headers=member).get_json()
    assert [b["status"] for b in ballots] == ["sent"] and ballots[0]["my_status"] == "unanswered"
    assert client.get("/api/v1/search?q=du lieu", headers=member).get_json()
    # Tasks from the October session's conclusions: one of them overdue, for the Ministry of Health.
    tasks = client.get("/api/v1/tasks", headers=secretariat).get_json()
    assert sorted(t["status"] for t in tasks) == ["assigned", "done", "overdue", "reported"]
    health = client.get("/api/v1/tasks", headers=_login(client, "bt.yte")).get_json()
    assert sorted(t["status"] for t in health) == ["done", "overdue"]
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_every_demo_login_works_under_the_default_policy(app, client):
    """The README's "what to try first": the admin and the secretariat, whose roles need a second
    factor, with the code from their printed secret; everyone else with the password alone."""
    from ecabinet.config import Config
    from ecabinet.demo.data import PEOPLE

    app.config["ECABINET_MFA_REQUIRED_ROLES"] = Config().ECABINET_MFA_REQUIRED_ROLES
    app.test_cli_runner().invoke(args=["seed-demo"])
    for username, *_rest in PEOPLE:
        me = client.get("/api/v1/me", headers=_login(client, username)).get_json()
        assert me["username"] == username
