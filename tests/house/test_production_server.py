"""The server as production runs it (gunicorn.conf.py: one gevent process) takes a burst of votes.

Under gevent every lock, queue and socket the app uses must yield to the loop: one that blocked would
hold every other request of the process still (the SQLite write lock would stall the casts behind it
for its whole timeout). A burst of simultaneous casts, logins that hash passwords, and a tablet's
websocket — all through one real server — show that they do not.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.gunicorn_server import api_token, gunicorn, serving_env
from tests.helpers import vote_open_to
from tests.tablet import Tablet

CASTERS = 16


def test_a_burst_of_casts_on_the_production_server(app, cabinet, make_user, tmp_path):
    vote, voters = vote_open_to(cabinet, make_user, CASTERS)
    sec = cabinet.api(cabinet.secretariat)
    with (
        gunicorn(serving_env(app, tmp_path, "production-server-test"), tmp_path) as (url,),
        ThreadPoolExecutor(CASTERS + 1) as pool,
    ):
        assert "Using worker: gevent" in next(tmp_path.glob("gunicorn-*.log")).read_text()

        # Logins hash passwords (scrypt) at the same time as the server answers everything else.
        tokens = list(pool.map(lambda person: api_token(url, person.username), voters))
        tablet = Tablet(url, tokens[1])  # a member's: no running counts while the vote is open
        try:
            assert tablet.join(vote["meeting_id"])["ok"] is True

            def cast(token: str) -> int:
                r = requests.post(
                    f"{url}/api/v1/votes/{vote['id']}/cast",
                    json={"choice": "yes"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                return r.status_code

            # Every member at once, the first of them from two devices.
            statuses = list(pool.map(cast, [tokens[0], *tokens]))
            assert sorted(statuses) == [201] * CASTERS + [409]
            progress = tablet.next("vote.progress", timeout=10)
            while progress["data"]["cast"] < CASTERS:
                progress = tablet.next("vote.progress", timeout=10)
            assert progress["data"] == {"vote_id": vote["id"], "cast": CASTERS, "eligible": CASTERS}
        finally:
            tablet.close()
        counted = requests.get(
            f"{url}/api/v1/votes/{vote['id']}", headers={"Authorization": f"Bearer {sec.token}"}, timeout=10
        ).json()
    assert counted["cast"] == CASTERS and counted["counts"]["yes"] == CASTERS


def test_the_welcome_of_run_sh_is_the_last_thing_before_listening(app, tmp_path):
    """./run.sh hands the address and the demo logins to gunicorn.conf.py, which prints them after
    gunicorn's first line: a newcomer finds them just above "Listening at", not lost above the log."""
    welcome = [
        "Demo logins (password for all: demo-2026):",
        "  vpcp             secretariat  Lý Thu Phương",
        "ecabinet is serving at http://127.0.0.1:8000/  (Ctrl+C stops it)",
    ]
    env = {**serving_env(app, tmp_path, "welcome-test"), "ECABINET_WELCOME": "\n".join(welcome)}
    with gunicorn(env, tmp_path):
        pass
    lines = [line for line in next(tmp_path.glob("gunicorn-*.log")).read_text().splitlines() if line.strip()]
    listening = next(n for n, line in enumerate(lines) if "Listening at: http://127.0.0.1:" in line)
    assert lines[listening - len(welcome) : listening] == welcome
    assert "Starting gunicorn" in lines[listening - len(welcome) - 1]
