"""A class session of 30: thirty students submit an attempt at the same moment on the embedded synthetic lab.

    python -m bench.class_session [--students 30] [--workers 2] [--method full|lora] [--grouping on|off]

Starts `forgetlab serve` (embedded, synthetic tier) in a fresh data directory holding an instructor's
class, one assignment (break-it made short: 1 epoch, 64 task examples, a point every 2 steps; goal
`all(drop) <= 0.5 and task >= 0`, attempts budget 1) and N student accounts with API tokens. Each
student has a thread: it submits its attempt when all threads are ready (one barrier), then polls every
0.25 s: its run's metrics until the first point past step 0 (time to the first point), then its attempt
until it has a verdict (time to the verdict). Reports: how many were judged, p50/p95/max of both times
(from each student's own submit; the poll interval bounds their resolution), the queue position the API
answered at submit, and whether the leaderboard is consistent with the attempts (one row per student
with a ranked attempt, each row that student's attempt, ranks ordered by score).
`--method lora` makes the assignment a LoRA one, which grouped scheduling can train in groups
(docs/grouped-training.md); `--grouping off` serves the lab with FORGETLAB_GROUP_SIZE=1 (every run alone),
`on` with the shipped group_size and group_wait_ms.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time

import httpx

from bench._lab import percentile, served_lab

SCENARIO = {"task_examples": 64, "epochs": 1, "eval_every": 2}
GOAL = "all(drop) <= 0.5 and task >= 0"
POLL = 0.25


def make_students(data_dir: str, count: int) -> dict[str, str]:
    """name -> API token, made in the lab's own database before it starts."""
    from forgetlab.core.settings import Settings
    from forgetlab.core.store import accounts
    from forgetlab.core.store.db import migrate, session_factory

    settings = Settings(data_dir=data_dir)
    migrate(settings.sqlalchemy_url)
    tokens = {}
    with session_factory(settings.sqlalchemy_url)() as session:
        for i in range(1, count + 1):
            user = accounts.create_user(session, name=f"s{i:02d}", password=None, role="student")
            tokens[user.name] = accounts.create_token(session, user=user, name="bench")[1]
    return tokens


def student(url: str, token: str, aid: int, barrier: threading.Barrier, out: dict, code: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
        assert c.post("api/classes/join", json={"code": code}).status_code == 200
        barrier.wait()
        started = time.perf_counter()
        made = c.post(f"api/assignments/{aid}/attempts", json={})
        if made.status_code != 201:
            out["error"] = f"{made.status_code} {made.text[:200]}"
            return
        body = made.json()
        out.update(run_id=body["run_id"], attempt_id=body["id"], position=body.get("queue_position"))
        while "first_point" not in out:
            points = c.get(f"api/runs/{body['run_id']}/metrics", params={"after": 0}).json()["points"]
            if points:
                out["first_point"] = time.perf_counter() - started
                break
            if c.get(f"api/runs/{body['run_id']}").json()["status"] in ("failed", "cancelled"):
                break
            time.sleep(POLL)
        while True:
            mine = c.get(f"api/assignments/{aid}/attempts").json()["attempts"][0]
            if mine["passed"] is not None:
                out.update(verdict=time.perf_counter() - started, passed=mine["passed"], status=mine["status"])
                return
            time.sleep(POLL)


def consistent(board: list[dict], attempts: list[dict]) -> tuple[bool, str]:
    mine = {a["student"]: a for a in attempts}
    ranked = {a["student"] for a in attempts if a["status"] == "succeeded"}
    if {r["student"] for r in board} != ranked:
        return False, f"leaderboard students {sorted(r['student'] for r in board)} != succeeded {sorted(ranked)}"
    if any(mine[r["student"]]["id"] != r["attempt_id"] for r in board):
        return False, "a row's attempt is not its student's"
    scores = [r["score"] for r in board]
    if scores != sorted(scores, reverse=True) or [r["rank"] for r in board] != sorted(r["rank"] for r in board):
        return False, "rows not ordered by score"
    return True, f"{len(board)} rows, one per student, each their own attempt, ranked by score"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--method", choices=["full", "lora"], default="full")
    parser.add_argument("--grouping", choices=["on", "off"], default="on")
    args = parser.parse_args()
    env = {} if args.grouping == "on" else {"FORGETLAB_GROUP_SIZE": "1"}
    with tempfile.TemporaryDirectory() as data:
        tokens = make_students(data, args.students)
        with served_lab(env, workers=args.workers, data_dir=data) as (url, _):  # the rate limits as shipped
            with httpx.Client(base_url=url, timeout=60) as teacher:  # the embedded lab's own user teaches
                room = teacher.post("api/classes", json={"name": "Session of 30"}).json()
                aid = teacher.post(f"api/classes/{room['id']}/assignments", json={
                    "title": "Keep it", "preset": "break-it", "settings": {**SCENARIO, "method": args.method}, "goal": GOAL,
                    "attempt_budget": 1}).json()["id"]
                barrier = threading.Barrier(args.students)
                results = {name: {} for name in tokens}
                threads = [threading.Thread(target=student, args=(url, tokens[n], aid, barrier, results[n],
                                                                  room["join_code"])) for n in tokens]
                began = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                wall = time.perf_counter() - began
                board = teacher.get(f"api/assignments/{aid}/leaderboard").json()["rows"]
                attempts = teacher.get(f"api/assignments/{aid}/attempts").json()["attempts"]
    errors = {n: r["error"] for n, r in results.items() if "error" in r}
    judged = [r for r in results.values() if "verdict" in r]
    first = [r["first_point"] for r in judged if "first_point" in r]
    verdict = [r["verdict"] for r in judged]
    ok, why = consistent(board, attempts)
    report = {"students": args.students, "workers": args.workers, "method": args.method, "grouping": args.grouping,
              "judged": len(judged),
              "passed": sum(bool(r.get("passed")) for r in judged), "errors": errors, "wall_seconds": round(wall, 1),
              "first_point": {q: round(percentile(first, p), 2) for q, p in (("p50", 50), ("p95", 95), ("max", 100))},
              "verdict": {q: round(percentile(verdict, p), 2) for q, p in (("p50", 50), ("p95", 95), ("max", 100))},
              "positions_at_submit": sorted(r.get("position") or 0 for r in results.values()),
              "leaderboard_consistent": ok, "leaderboard": why}
    print(f"{len(judged)} of {args.students} attempts judged ({report['passed']} passed), {len(errors)} refused; "
          f"{args.workers} workers, {args.method}, grouping {args.grouping}; {wall:.1f} s from the first submit to "
          "the last verdict")
    print(f"submit -> first point: p50 {report['first_point']['p50']} s, p95 {report['first_point']['p95']} s, "
          f"max {report['first_point']['max']} s")
    print(f"submit -> verdict:     p50 {report['verdict']['p50']} s, p95 {report['verdict']['p95']} s, "
          f"max {report['verdict']['max']} s")
    print(f"leaderboard consistent with the attempts: {'yes' if ok else 'NO'} ({why})")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
