"""Live votes: who may vote, once, by what rule, and what each side may see."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from ecabinet.extensions import db
from ecabinet.live.models import MeetingEvent
from ecabinet.votes.models import VoteParticipation
from tests.helpers import assert_error

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


@pytest.fixture
def session(cabinet):
    meeting = cabinet.meeting("in_progress")
    return meeting


def _vote(cabinet, meeting, **fields):
    sec = cabinet.api(cabinet.secretariat)
    r = sec.post(
        f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua dự thảo Nghị định?", **fields}
    )
    assert r.status_code == 201, r.get_json()
    vote = r.get_json()
    assert vote["status"] == "draft"
    return vote


def _open(cabinet, vote):
    r = cabinet.api(cabinet.secretariat).post(f"/votes/{vote['id']}/open")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _cast_all(cabinet, vote, choices):
    voters = [cabinet.chair, *cabinet.members]
    for person, choice in zip(voters, choices, strict=False):
        r = cabinet.api(person).post(f"/votes/{vote['id']}/cast", json={"choice": choice})
        assert r.status_code == 201, r.get_json()


def test_named_vote_from_open_to_result(cabinet, session):
    vote = _vote(cabinet, session)
    member = cabinet.api(cabinet.members[0])
    assert_error(member.post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 409)  # not open yet
    opened = _open(cabinet, vote)
    assert opened["eligible"] == 4  # chair + three members; the observer does not vote
    r = member.post(f"/votes/{vote['id']}/cast", json={"choice": "yes"})
    assert r.status_code == 201
    assert_error(member.post(f"/votes/{vote['id']}/cast", json={"choice": "no"}), 409)  # final once cast
    seen = member.get(f"/votes/{vote['id']}").get_json()
    assert seen["cast"] == 1 and "counts" not in seen and "voters" not in seen  # members wait for the close
    runner = cabinet.api(cabinet.chair).get(f"/votes/{vote['id']}").get_json()
    assert runner["counts"] == {"yes": 1, "no": 0, "abstain": 0}
    for person, choice in ((cabinet.chair, "yes"), (cabinet.members[1], "yes"), (cabinet.members[2], "no")):
        cabinet.api(person).post(f"/votes/{vote['id']}/cast", json={"choice": choice})
    closed = cabinet.api(cabinet.chair).post(f"/votes/{vote['id']}/close")
    assert closed.status_code == 200
    result = member.get(f"/votes/{vote['id']}").get_json()
    assert result["status"] == "closed" and result["counts"] == {"yes": 3, "no": 1, "abstain": 0}
    assert result["passed"] is True
    assert result["voters"] == {
        str(cabinet.members[0].id): "yes",
        str(cabinet.chair.id): "yes",
        str(cabinet.members[1].id): "yes",
        str(cabinet.members[2].id): "no",
    }
    assert_error(member.post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 409)  # after close
    assert_error(cabinet.api(cabinet.chair).post(f"/votes/{vote['id']}/close"), 409)


def test_who_may_run_and_cast(cabinet, session):
    vote = _vote(cabinet, session)
    member = cabinet.api(cabinet.members[0])
    assert_error(member.post(f"/meetings/{session['id']}/votes", json={"question": "?"}), 403)
    assert_error(member.post(f"/votes/{vote['id']}/open"), 404)  # a draft is the runners' own
    _open(cabinet, vote)
    assert_error(member.post(f"/votes/{vote['id']}/close"), 403)
    assert_error(cabinet.api(cabinet.observer).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 403)
    assert_error(cabinet.api(cabinet.outsider).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 403)
    assert_error(
        cabinet.api(cabinet.secretariat).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 403
    )
    assert_error(member.post(f"/votes/{vote['id']}/cast", json={"choice": "maybe"}), 400)
    assert_error(member.post(f"/votes/{vote['id']}/cast", json={"choice": 1}), 400)
    assert_error(member.post(f"/votes/{vote['id']}/cast", json={}), 400)
    assert_error(member.post("/votes/9999/cast", json={"choice": "yes"}), 404)


def test_opening_and_closing_read_the_vote_once(cabinet, session, monkeypatch):
    """The gate's check (`@may`) loads and locks the vote; the service acts on what it loaded rather
    than loading and checking it again (once a fifth of the open-vote call every tablet waits on)."""
    from ecabinet.votes import service as voting

    loads = []
    original = voting.locked
    monkeypatch.setattr(voting, "locked", lambda *args, **kw: loads.append(args) or original(*args, **kw))
    vote = _vote(cabinet, session)
    for step in ("open", "close"):
        loads.clear()
        assert cabinet.api(cabinet.chair).post(f"/votes/{vote['id']}/{step}").status_code == 200
        assert loads == [(vote["id"],)]


def test_vote_opens_only_while_the_meeting_is_in_session(cabinet):
    meeting = cabinet.meeting("published")
    vote = _vote(cabinet, meeting)
    assert_error(cabinet.api(cabinet.secretariat).post(f"/votes/{vote['id']}/open"), 409)


@pytest.mark.parametrize(
    ("majority", "choices", "passed"),
    [
        ("absolute", ["yes", "yes", "no", "no"], True),  # 2 of 4: a tie, the chair (first) voted yes
        ("absolute", ["no", "yes", "yes", "no"], False),  # tie, the chair voted no
        ("absolute", ["yes", "yes", "abstain"], True),  # 2 of 4 with the chair: tie broken by the chair
        ("absolute", ["abstain", "yes", "yes", "no"], False),  # tie, the chair abstained: not more than half
        ("absolute", ["yes", "yes", "yes", "no"], True),
        ("simple", ["yes", "no", "abstain", "abstain"], True),  # 1–1 tie, chair yes
        ("simple", ["abstain", "yes", "abstain", "abstain"], True),
        ("simple", ["abstain", "no", "abstain", "abstain"], False),
        ("two_thirds", ["yes", "yes", "no", "abstain"], False),  # 2 of 4 < 2/3
        ("two_thirds", ["yes", "yes", "yes", "no"], True),  # 3 of 4 ≥ 2/3
    ],
)
def test_majority_rules(cabinet, session, majority, choices, passed):
    vote = _vote(cabinet, session, majority=majority)
    _open(cabinet, vote)
    _cast_all(cabinet, vote, choices)
    result = cabinet.api(cabinet.secretariat).post(f"/votes/{vote['id']}/close").get_json()
    assert result["passed"] is passed, result


def test_tie_without_chair_tiebreak_fails(cabinet, session):
    vote = _vote(cabinet, session, majority="simple", chair_breaks_tie=False)
    _open(cabinet, vote)
    _cast_all(cabinet, vote, ["yes", "no"])
    assert cabinet.api(cabinet.secretariat).post(f"/votes/{vote['id']}/close").get_json()["passed"] is False


def test_secret_vote_keeps_no_link_between_member_and_choice(app, cabinet, session):
    vote = _vote(cabinet, session, secret=True)
    _open(cabinet, vote)
    _cast_all(cabinet, vote, ["no", "yes", "abstain", "yes"])
    closed = cabinet.api(cabinet.secretariat).post(f"/votes/{vote['id']}/close").get_json()
    assert closed["counts"] == {"yes": 2, "no": 1, "abstain": 1}
    assert "voters" not in closed
    with app.app_context():
        rows = db.session.scalars(
            select(VoteParticipation).where(VoteParticipation.vote_id == vote["id"])
        ).all()
        assert len(rows) == 4 and all(r.choice is None for r in rows)
        # No column of any table, no audit payload and no event names a member beside a choice.
        audit = db.session.execute(
            text("SELECT action, actor_id, payload FROM audit_entries WHERE action = 'vote.cast'")
        ).all()
        assert len(audit) == 4
        assert all(
            "yes" not in str(p) and "no" not in str(p) and "abstain" not in str(p) for _, _, p in audit
        )
        events = db.session.execute(
            text("SELECT type, data, runner_data FROM meeting_events WHERE type LIKE 'vote.%'")
        ).all()
        assert [t for t, _, _ in events] == ["vote.opened", *["vote.progress"] * 4, "vote.closed"]
        member_ids = {str(p.id) for p in (cabinet.chair, *cabinet.members)}
        for _type, data, runner in events:
            blob = f"{data}{runner}"
            assert not any(f'"user_id": {m}' in blob or f"'{m}'" in blob for m in member_ids)
        # The tablet's random id for the cast, kept to recognise a retry, says nothing about the choice.
        columns = db.session.execute(text("SELECT * FROM vote_participations")).keys()
        assert set(columns) == {"vote_id", "user_id", "choice", "client_id"}
        # Running counts stored beside the audit log's times of casting would tie members to choices.
        stored = db.session.scalars(
            select(MeetingEvent.runner_data).where(MeetingEvent.type == "vote.progress")
        ).all()
        assert stored == [None] * 4  # one progress event per cast


@pytest.mark.parametrize("secret", [False, True])
def test_a_cast_retried_after_a_lost_answer_gets_the_recorded_cast(app, cabinet, session, secret):
    vote = _vote(cabinet, session, secret=secret)
    _open(cabinet, vote)
    member, other = cabinet.api(cabinet.members[0]), cabinet.api(cabinet.members[1])
    url = f"/votes/{vote['id']}/cast"
    first = member.post(url, json={"choice": "no", "client_id": "c0ffee-1"})
    assert first.status_code == 201, first.get_json()
    # The answer was lost; the tablet sends the same cast again (its choice as it was, or even changed).
    for choice in ("no", "yes"):
        again = member.post(url, json={"choice": choice, "client_id": "c0ffee-1"})
        assert again.status_code == 200, again.get_json()
        body = again.get_json()
        assert body["has_voted"] is True and body["cast"] == 1
        if secret:
            assert "choice" not in body and "counts" not in body and "voters" not in body
        else:
            assert body["choice"] == "no"
    # Another cast by the same member is a second vote, whatever id it carries; another member's cast
    # with the same id is theirs.
    assert_error(member.post(url, json={"choice": "yes", "client_id": "c0ffee-2"}), 409, "already_voted")
    assert_error(member.post(url, json={"choice": "yes"}), 409, "already_voted")
    assert other.post(url, json={"choice": "yes", "client_id": "c0ffee-1"}).status_code == 201
    # Still the recorded cast once the vote has closed.
    closed = cabinet.api(cabinet.secretariat).post(f"/votes/{vote['id']}/close").get_json()
    assert closed["counts"] == {"yes": 1, "no": 1, "abstain": 0}
    assert member.post(url, json={"choice": "no", "client_id": "c0ffee-1"}).status_code == 200
    with app.app_context():
        casts = db.session.execute(text("SELECT count(*) FROM audit_entries WHERE action = 'vote.cast'"))
        assert casts.scalar_one() == 2


def test_the_same_cast_twice_in_one_batch_counts_once(app, cabinet, session):
    vote = _vote(cabinet, session)
    _open(cabinet, vote)
    member = cabinet.api(cabinet.members[0])
    results = []
    barrier = threading.Barrier(4)

    def tap():
        barrier.wait()
        r = member.post(f"/votes/{vote['id']}/cast", json={"choice": "yes", "client_id": "double-tap"})
        results.append(r.status_code)

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [200, 200, 200, 201]
    assert member.get(f"/votes/{vote['id']}").get_json()["cast"] == 1


def test_concurrent_casts_from_two_devices_count_once(app, cabinet, session):
    vote = _vote(cabinet, session)
    _open(cabinet, vote)
    token = cabinet.api(cabinet.members[0]).token
    results = []
    barrier = threading.Barrier(2)

    def cast():
        client = app.test_client()
        barrier.wait()
        r = client.post(
            f"/api/v1/votes/{vote['id']}/cast",
            json={"choice": "yes"},
            headers={"Authorization": f"Bearer {token}"},
        )
        results.append(r.status_code)

    threads = [threading.Thread(target=cast) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    runner = cabinet.api(cabinet.secretariat).get(f"/votes/{vote['id']}").get_json()
    assert runner["cast"] == 1 and runner["counts"]["yes"] == 1


def test_casts_racing_the_close_are_all_or_nothing(app, cabinet, session):
    vote = _vote(cabinet, session)
    _open(cabinet, vote)
    voters = [cabinet.chair, *cabinet.members]
    tokens = [cabinet.api(p).token for p in voters]
    sec_token = cabinet.api(cabinet.secretariat).token
    barrier = threading.Barrier(len(tokens) + 1)
    outcomes: dict[str, list] = {"cast": [], "close": []}

    def call(path, token, body, key):
        client = app.test_client()
        barrier.wait()
        r = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        outcomes[key].append((r.status_code, r.get_json()))

    threads = [
        threading.Thread(target=call, args=(f"/api/v1/votes/{vote['id']}/cast", t, {"choice": "yes"}, "cast"))
        for t in tokens
    ]
    threads.append(
        threading.Thread(target=call, args=(f"/api/v1/votes/{vote['id']}/close", sec_token, None, "close"))
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [(status, closed)] = outcomes["close"]
    assert status == 200
    accepted = sum(1 for code, _ in outcomes["cast"] if code == 201)
    # A cast that lost the race to the close finds the vote no longer open; nothing else may happen to it.
    answers = {(code, body.get("error", {}).get("code")) for code, body in outcomes["cast"]}
    assert len(outcomes["cast"]) == len(tokens) and answers <= {(201, None), (409, "vote_not_open")}, answers
    final = cabinet.api(cabinet.secretariat).get(f"/votes/{vote['id']}").get_json()
    assert closed["counts"] == final["counts"] and final["counts"]["yes"] == accepted == final["cast"]


def test_a_meeting_may_require_check_in_before_voting(cabinet):
    meeting = cabinet.meeting("in_progress", require_checkin_to_vote=True)
    vote = _vote(cabinet, meeting)
    _open(cabinet, vote)
    member = cabinet.api(cabinet.members[0])
    assert_error(member.post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 409, "not_checked_in")
    member.post(f"/meetings/{meeting['id']}/attendance")
    assert member.post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}).status_code == 201
    # The chair, running the session, counts as present without checking in.
    assert (
        cabinet.api(cabinet.chair).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}).status_code
        == 201
    )


def test_a_vote_on_a_confidential_item_counts_only_cleared_members(cabinet, session):
    secret = cabinet.item(session["id"], "Nhân sự", confidential=True, restricted_to=[cabinet.members[0].id])
    vote = _vote(cabinet, session, agenda_item_id=secret["id"])
    opened = _open(cabinet, vote)
    assert opened["eligible"] == 2  # the chair and the one cleared member
    assert_error(
        cabinet.api(cabinet.members[1]).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 404
    )
    for person in (cabinet.chair, cabinet.members[0]):
        cabinet.api(person).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"})
    assert cabinet.api(cabinet.secretariat).post(f"/votes/{vote['id']}/close").get_json()["passed"] is True


@pytest.mark.parametrize(
    "header", ["Bearer not-a-real-token", "Bearer ' OR 1=1 --", "Basic dXNlcjpwYXNz", "Bearer", None]
)
@pytest.mark.parametrize("body", [{"choice": "yes"}, {"choice": 7}, {}])
def test_a_cast_without_a_live_token_is_401_and_records_nothing(client, cabinet, session, header, body):
    """Casts look up their tokens in the batch writer, not before the view: the answer must stay what
    every other route gives — 401 before anything about the body or the vote."""
    vote = _vote(cabinet, session)
    _open(cabinet, vote)
    headers = {"Authorization": header} if header is not None else {}
    for path in (f"/api/v1/votes/{vote['id']}/cast", "/api/v1/votes/9999/cast"):
        assert_error(client.post(path, json=body, headers=headers), 401)
    assert cabinet.api(cabinet.secretariat).get(f"/votes/{vote['id']}").get_json()["cast"] == 0


def test_a_revoked_or_deactivated_members_token_cannot_cast(client, cabinet, session):
    vote = _vote(cabinet, session)
    _open(cabinet, vote)
    logged_out, deactivated = cabinet.members[0], cabinet.members[1]
    tablets = [cabinet.api(logged_out), cabinet.api(deactivated)]  # logged in while still active
    assert tablets[0].post("/auth/logout").status_code == 204
    admin = cabinet.api(cabinet.admin)
    assert admin.patch(f"/users/{deactivated.id}", json={"active": False}).status_code == 200
    for tablet in tablets:
        refused = tablet.post(f"/votes/{vote['id']}/cast", json={"choice": "yes"})
        assert_error(refused, 401)
        assert refused.get_json()["error"]["code"] == "bad_token"
    assert cabinet.api(cabinet.secretariat).get(f"/votes/{vote['id']}").get_json()["cast"] == 0


def test_a_cast_looks_its_caller_up_once_at_the_gate(cabinet, session, monkeypatch):
    """Who is casting is found before the view, as on every route, and not again by the writer,
    whatever the answer."""
    from ecabinet.auth import service as auth

    lookups = []
    original = auth.user_for_token
    monkeypatch.setattr(auth, "user_for_token", lambda raw: lookups.append(raw) or original(raw))
    vote = _vote(cabinet, session)
    _open(cabinet, vote)
    member = cabinet.api(cabinet.members[0])
    lookups.clear()
    for body, status in (({"choice": "yes"}, 201), ({"choice": "no"}, 409), ({"choice": 3}, 400)):
        answer = member.post(f"/votes/{vote['id']}/cast", json=body)
        assert answer.status_code == status, answer.get_json()
    assert lookups == [member.token] * 3


def test_one_batch_answers_each_cast_on_its_own(app, cabinet, session):
    """A refused cast in a batch is refused alone; the accepted ones beside it are counted."""
    from ecabinet.auth.models import User
    from ecabinet.votes import casting

    vote = _vote(cabinet, session)
    _open(cabinet, vote)
    with app.app_context():
        chair, member, outsider = (
            db.session.get(User, u.id) for u in (cabinet.chair, cabinet.members[0], cabinet.outsider)
        )
        batch = [
            casting.Cast(vote["id"], chair, "yes"),
            casting.Cast(vote["id"], outsider, "yes"),  # not taking part
            casting.Cast(vote["id"], member, "no"),
            casting.Cast(vote["id"], member, "yes"),  # the same member from a second tablet
            casting.Cast(vote["id"], chair, "maybe"),
        ]
        results = casting.record_casts(batch)
        db.session.commit()
    assert results[0].vote["has_voted"] is True and results[2].vote["has_voted"] is True
    assert [(r.status, r.code) for r in results[1::2]] == [(403, "forbidden"), (409, "already_voted")]
    assert (results[4].status, results[4].code) == (400, "unknown_choice")
    final = cabinet.api(cabinet.secretariat).get(f"/votes/{vote['id']}").get_json()
    assert final["cast"] == 2 and final["counts"] == {"yes": 1, "no": 1, "abstain": 0}
