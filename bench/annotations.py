"""Saving an annotation and listing 2,000 of them, against a real server on loopback.

    .venv/bin/python bench/annotations.py [--quick] [--database-url postgresql+psycopg://…]

One member, one 20-page document. The member saves N annotations one after another (POST
/api/v1/documents/<id>/annotations with a bearer token, a mix of highlights, underlines, ink strokes,
notes and free text, each with its own client_id), then lists them (GET, all N in one answer) M
times. The server is gunicorn with the repository's settings on SQLite; with --database-url the same
runs again on that PostgreSQL database (its tables are dropped and made anew: give it one kept for
benchmarks).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import harness
import requests

from tests.prepare_postgres import ensure_database

PAGES = 20
A4 = (595.28, 841.89)


def annotation_body(n: int, rng: random.Random) -> dict:
    """What a tablet sends: the kinds in a reader's usual mix, geometry inside an A4 page."""
    kind = rng.choices(
        ["highlight", "underline", "strikeout", "ink", "note", "freetext"], weights=[40, 15, 5, 20, 15, 5]
    )[0]
    body = {"version": 1, "page": 1 + n % PAGES, "kind": kind, "client_id": f"bench-{n:06d}"}
    if kind in ("highlight", "underline", "strikeout"):
        y = rng.uniform(80, 700)
        body["rects"] = [[60.0, y - 16 * i, 530.0, y - 16 * i + 12] for i in range(rng.randint(1, 4))]
        body["quote"] = "Chính phủ ban hành nghị định quy định chi tiết " * rng.randint(1, 3)
    elif kind == "ink":
        x, y = rng.uniform(100, 400), rng.uniform(100, 700)
        body["paths"] = [
            [[x + 3 * i + 20 * s, y + 8 * ((i % 7) - 3)] for i in range(rng.randint(20, 60))]
            for s in range(rng.randint(1, 3))
        ]
    else:
        x, y = rng.uniform(60, 450), rng.uniform(60, 750)
        body["rects"] = [[x, y, x + 80, y + 24]]
        body["text"] = "Đề nghị Bộ Tài chính làm rõ nguồn kinh phí thực hiện. " * rng.randint(1, 4)
    return body


def run(label: str, database_url: str, work: Path, saves: int, lists: int, budget_s: float) -> dict:
    from ecabinet.extensions import db

    storage = str(work / f"storage-{label}")
    app = harness.make_app(database_url, storage)
    harness.fresh_schema(app)
    with app.app_context():
        secretariat = harness.make_users("vpcp", 1, ("secretariat",))[0]
        member = harness.make_users("member", 1)[0]
        db.session.commit()
        meeting = harness.make_meeting(secretariat, [member], status="published")
        from ecabinet.meetings import service as meetings

        item = meetings.add_item(secretariat, meeting.id, title="Dự án Luật Đất đai (sửa đổi)")
        db.session.commit()
        document_id = harness.upload(secretariat, item.id, harness.text_pdf(PAGES), "Tờ trình").id
        username = member.username
    with app.app_context():
        db.engine.dispose()

    server = harness.Server(work, env={"DATABASE_URL": database_url, "ECABINET_STORAGE": storage})
    rng = random.Random(2026)
    save_times: list[float] = []
    list_times: list[float] = []
    failures: dict[int, int] = {}
    deadline = time.monotonic() + budget_s
    with harness.servers(server), requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {harness.api_login(server.url, username, http)}"
        url = f"{server.url}/api/v1/documents/{document_id}/annotations"
        for n in range(saves):
            if time.monotonic() > deadline:
                break
            body = annotation_body(n, rng)
            started = time.perf_counter()
            response = http.post(url, json=body, timeout=30)
            save_times.append(time.perf_counter() - started)
            if response.status_code != 201:
                failures[response.status_code] = failures.get(response.status_code, 0) + 1
        listed = None
        size = 0
        for _ in range(lists):
            if time.monotonic() > deadline + budget_s / 2:
                break
            started = time.perf_counter()
            response = http.get(url, timeout=60)
            found = response.json()
            list_times.append(time.perf_counter() - started)
            listed, size = len(found), len(response.content)
        server_memory = server.worker_status()
    return {
        "label": label,
        "save": save_times,
        "list": list_times,
        "listed": listed,
        "list_bytes": size,
        "failures": failures,
        "server": server_memory,
    }


def report(result: dict) -> None:
    print(f"### {result['label']}")
    print(
        f"  save (POST, one after another): {harness.summary_ms(result['save'])}; failures: {result['failures'] or 0}"
    )
    print(
        f"  list {result['listed']} annotations (GET, {result['list_bytes'] / 1024:.0f} KiB JSON): "
        f"{harness.summary_ms(result['list'])}"
    )
    server = result["server"]
    print(
        f"  server worker: RSS {server['rss_mib']:.0f} MiB (peak {server['peak_rss_mib']:.0f} MiB), {server['threads']} threads"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="300 saves, 10 lists: a check that it works")
    parser.add_argument(
        "--database-url", help="also run on this PostgreSQL database (its tables are replaced)"
    )
    parser.add_argument("--saves", type=int, help="annotations to save (default 2000)")
    parser.add_argument("--lists", type=int, help="times to list them (default 200)")
    args = parser.parse_args()
    saves = args.saves or (300 if args.quick else 2000)
    lists = args.lists or (10 if args.quick else 200)
    budget = 20 if args.quick else 300  # seconds for the saves; the lists get half as much again

    extra = {"mode": "quick" if args.quick else "full", "saves": str(saves), "lists": str(lists)}
    targets = [("SQLite", None)]
    if args.database_url:
        ensure_database(args.database_url)
        extra["postgresql"] = harness.postgres_version(args.database_url)
        targets.append(("PostgreSQL", args.database_url))
    if not args.quick:
        harness.wait_for_quiet()
    harness.print_machine(extra)
    with harness.workdir("annotations") as work:
        for label, url in targets:
            result = run(label, url or f"sqlite:///{work / 'ecabinet.db'}", work, saves, lists, budget)
            report(result)


if __name__ == "__main__":
    main()
