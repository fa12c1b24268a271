"""Comparisons and exports: the config diff, deltas against a baseline, the frontier, bad selections, files."""

import csv
import io
import json
import re

import pytest

from forgetlab.app.views.comparison import MAX_RUNS

from .conftest import CAPS, finish, metrics_event, record, summary

TINY = {"task_examples": 50, "epochs": 1}


@pytest.fixture
def three(client, sessions):
    """Full at lr 1e-3 forgets most; LoRA forgets little; full at 1e-4 forgets least but learns only half."""
    ids = []
    for config, drop, task in ((dict(lr=1e-3), 0.5, 1.0), (dict(lr=1e-3, method="lora"), 0.1, 1.0),
                               (dict(lr=1e-4), 0.02, 0.5)):
        ids.append(client.post("/api/runs", json={**TINY, **config}).json()["id"])
        finish(sessions, ids[-1], drop=drop, task=task, wise=config.get("method") == "lora")
    return ids


def test_the_api_compares_runs_against_a_baseline(client, three):
    full, lora, slow = three
    data = client.get(f"/api/compare?runs={full},{lora},{slow}").json()
    assert data["varying"] == ["lr", "method"]  # only what differs; task_examples and epochs are shared
    assert data["baseline"] == full and data["best"] == lora
    assert "Run 2 (lr=0.001 · method=lora) learns the task (100%) with the least forgetting" in data["verdict"]
    runs = {r["id"]: r for r in data["runs"]}
    assert runs[lora]["label"] == "lr=0.001 · method=lora" and len({r["color"] for r in data["runs"]}) == 3
    drop = runs[lora]["deltas"]["mean drop"]
    assert drop["delta"] == pytest.approx(-0.4) and drop["verdict"] == "better"
    assert runs[slow]["deltas"]["task accuracy"]["verdict"] == "worse"
    assert runs[full]["deltas"]["final knowledge"]["verdict"] == "same"
    assert runs[slow]["frontier"]["pareto"] and runs[lora]["frontier"]["pareto"] and not runs[full]["frontier"]["pareto"]
    assert runs[lora]["wise_ft"][1] == {"alpha": 0.5, "task": 0.5, "general": pytest.approx(0.95)}
    assert runs[full]["curve"]["steps"] == [0, 5, 10] and data["base"]["cap.knowledge.accuracy"] == 0.9
    other = client.get(f"/api/compare?runs={full},{lora}&baseline={lora}").json()
    assert {r["id"]: r["deltas"]["mean drop"]["verdict"] for r in other["runs"]} == {full: "worse", lora: "same"}


@pytest.mark.parametrize("query, status, words", [
    ("runs=1", 422, "compare 2 to 8 runs (got 1)"),
    ("runs=" + ",".join(map(str, range(1, MAX_RUNS + 2))), 422, "compare 2 to 8 runs (got 9)"),
    ("runs=1,99", 404, "no run 99"),
    ("runs=1,abc", 422, "'abc' is not a run id"),
    ("runs=1,2&baseline=3", 422, "the baseline must be one of the compared runs"),
    ("sweep=7", 404, "no sweep 7"),
    ("", 422, "compare 2 to 8 runs (got 0)"),
])
def test_bad_selections_are_4xx_with_the_reason(client, three, query, status, words):
    r = client.get("/api/compare?" + query)
    assert r.status_code == status and words in r.json()["detail"]
    page = client.get("/compare?" + query)
    assert page.status_code == status and words.replace("'", "&#39;") in page.text


def test_an_unfinished_run_is_shown_but_cannot_be_the_baseline(client, three):
    queued = client.post("/api/runs", json=TINY).json()["id"]
    data = client.get(f"/api/compare?runs={three[0]},{queued}").json()
    assert data["runs"][1]["deltas"] is None and data["runs"][1]["frontier"] is None
    r = client.get(f"/api/compare?runs={three[0]},{queued}&baseline={queued}")
    assert r.status_code == 422 and "pick a finished run as the baseline" in r.json()["detail"]


def test_the_comparison_page(client, three):
    full, lora, slow = three
    r = client.get(f"/compare?runs={slow}&runs={lora}&runs={full}", follow_redirects=False)  # as ticked
    assert r.status_code == 303 and r.headers["location"] == f"/compare?runs={full},{lora},{slow}"  # shareable form
    html = client.get(r.headers["location"]).text
    diff = html[html.index('id="config-diff"'):html.index("</table>", html.index('id="config-diff"'))]
    assert "<th>lr</th><th>method</th>" in diff and "task_examples" not in diff
    assert "<code>task_examples=50, epochs=1</code>" in html  # what they share, said once
    assert re.search(r'class="better" data-metric="mean drop">10 pts\s*<small>-40</small>', html)
    assert re.search(r'class="worse" data-metric="task accuracy">50%\s*<small>-50</small>', html)
    assert html.count('<figure class="chart cmp"') == 6 and 'class="chart wise"' in html
    assert html.count('<g class="pt"') == 3 and "learns the task with the least forgetting</title>" in html
    assert f'href="/compare?runs={full},{lora},{slow}&baseline={lora}">use as baseline' in html
    assert f"/api/export/metrics.csv?runs={full},{lora},{slow}" in html


def test_the_comparison_shows_the_answer_nll_rise_beside_accuracy(client, sessions, three):
    """A run that stored answer NLL shows its rise (final minus base) under each capability's accuracy; one from
    before the lab stored it shows "—", and the NLL curves are on the page for the charts' NLL view."""
    from forgetlab.core.store import runs

    old = three[0]  # its summary has no baseline_nll / final_nll
    new = client.post("/api/runs", json={**TINY, "lr": 1e-4}).json()["id"]
    for step in (0, 5, 10):
        record(sessions, new, metrics_event(step, knowledge=0.9 - 0.01 * step))
    with sessions() as session:
        runs.claim(session, run_id=new, worker="test:1")
        runs.finish(session, run_id=new, status="succeeded",
                    summary={**summary(0.1, 1.0), "baseline_nll": {c: 0.5 for c in CAPS},
                             "final_nll": {**{c: 0.5 for c in CAPS}, "knowledge": 0.87}})
    html = client.get(f"/compare?runs={old},{new}").text
    table = html[html.index('id="results"'):html.index("</table>", html.index('id="results"'))]
    rows = {int(m[0]): m[1] for m in re.findall(r'<tr data-run="(\d+)".*?>(.*?)</tr>', table, re.S)}

    def rise(run_id, cap):
        cell = re.search(rf'data-metric="final {cap}">.*?</td>', rows[run_id], re.S)[0]
        return re.search(rf'<span class="nll-rise" data-nll-rise="{cap}"[^>]*>NLL ([^<]*)</span>', cell)[1]

    assert rise(new, "knowledge") == "+0.37" and rise(new, "safety") == "+0.00"
    assert all(rise(old, c) == "—" for c in CAPS)
    data = json.loads(html.split('<script type="application/json" id="compare-data">')[1].split("</script>")[0])
    assert data["nll"]["curves"][str(new)]["cap.knowledge.nll"] == [0.2, 0.2, 0.2]
    assert data["nll"]["base"]["task.nll"] == 3.0
    assert 'data-nll-key="cap.knowledge.nll"' in html and 'name="chart-measure" value="nll"' in html

    # The exports (the web's and `forgetlab export`'s, one `render`) carry NLL per point and in the summary.
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/export/metrics.csv?runs={old},{new}").text)))
    assert float(rows[-1]["cap.knowledge.nll"]) == 0.2 and float(rows[-1]["task.nll"]) == 3.0
    points = client.get(f"/api/export/metrics.json?runs={new}").json()["runs"][0]["points"]
    assert all("cap.knowledge.nll" in p["values"] for p in points)
    summaries = {int(r["run_id"]): r for r in csv.DictReader(io.StringIO(
        client.get(f"/api/export/summary.csv?runs={old},{new}").text))}
    assert float(summaries[new]["final_nll.knowledge"]) == 0.87 and float(summaries[new]["baseline_nll.knowledge"]) == 0.5
    assert summaries[old]["final_nll.knowledge"] == ""  # from before NLL: an empty cell, not an error
    doc = client.get(f"/api/export/summary.json?runs={new}").json()
    assert doc["runs"][0]["summary"]["final_nll"]["knowledge"] == 0.87


def test_a_big_sweep_compares_its_most_telling_runs(client, sessions):
    # Ten settings, one seed each (a sweep over seeds alone is decided on their mean: see the seeds test).
    lrs = [round(1e-4 * (i + 1), 6) for i in range(10)]
    created = client.post("/api/sweeps", json={"base": TINY, "grid": {"lr": lrs}}).json()
    ids = created["new_runs"]
    for i, run_id in enumerate(ids):
        finish(sessions, run_id, drop=0.5 - i * 0.04 if i != 3 else 0.01, task=0.5 if i == 3 else 1.0)
    data = client.get(f"/api/compare?sweep={created['id']}").json()
    chosen = [r["id"] for r in data["runs"]]
    assert len(chosen) == MAX_RUNS and chosen == sorted(chosen)  # in grid order
    assert data["best"] == ids[9] and ids[3] in chosen  # the best, and the frontier's low-forgetting end
    assert "This sweep has 10 runs" in data["note"]
    html = client.get(f"/sweeps/{created['id']}").text
    assert html.count("checked") == MAX_RUNS


def test_exports_of_a_run_a_comparison_and_a_sweep(client, three):
    full, lora, _ = three
    r = client.get(f"/api/export/metrics.csv?runs={full},{lora}")
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="forgetlab-runs-{full}-{lora}-metrics.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(int(x["run_id"]), int(x["step"])) for x in rows] == [(full, 0), (full, 5), (full, 10),
                                                                  (lora, 0), (lora, 5), (lora, 10)]
    assert float(rows[0]["cap.knowledge.accuracy"]) == 0.9 and rows[0]["train_loss"] == ""
    summary = list(csv.DictReader(io.StringIO(client.get(f"/api/export/summary.csv?runs={lora}").text)))[0]
    assert summary["config.method"] == "lora" and float(summary["mean_drop"]) == pytest.approx(0.1)
    assert float(summary["wise_ft.0.5.task"]) == 0.5 and summary["config.lora_targets"].startswith("q_proj k_proj")
    doc = client.get(f"/api/export/metrics.json?runs={full}").json()
    assert [p["step"] for p in doc["runs"][0]["points"]] == [0, 5, 10]
    sweep = client.post("/api/sweeps", json={"base": TINY, "grid": {"lr": [1e-3], "method": ["full", "lora"]}}).json()
    doc = client.get(f"/api/export/summary.json?sweep={sweep['id']}").json()
    assert [r["run_id"] for r in doc["runs"]] == [full, lora] and doc["runs"][1]["summary"]["task_gain"] == 1.0
    assert client.get("/api/export/metrics.csv?runs=99").status_code == 404
    assert client.get("/api/export/metrics.xml?runs=1").status_code == 422
    assert client.get("/api/export/metrics.csv").status_code == 422


def test_the_runs_list_picks_runs_to_compare(client, three):
    html = client.get("/runs").text
    assert '<form id="compare-form" action="/compare" method="get"' in html
    assert html.count('name="runs"') == 3 and 'form="compare-form"' in html and "hx-preserve" in html
    assert 'href="/sweeps"' in html  # in the navigation


def test_openapi_documents_sweeps_compare_and_exports(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/sweeps", "/api/sweeps/{sweep_id}", "/api/sweeps/{sweep_id}/cancel", "/api/compare",
                 "/api/export/{table}.{fmt}"):
        assert path in paths, path
    assert "/compare" not in paths and "/sweeps" not in paths


def test_the_scatter_is_standalone_svg(client, three):
    svg = client.get("/compare?runs=1,2,3").text.split('<div class="scatter" id="scatter">')[1].split("</svg>")[0]
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "class=" not in svg.replace('class="pt"', "")
    assert json.dumps("task gain")[1:-1] in svg


def seed_sweep(client, sessions, drops: dict[float, list[float]]) -> tuple[int, dict[float, list[int]]]:
    """A sweep of lr x seed, each run finished with its drop: (sweep id, {lr: run ids in seed order})."""
    lrs = list(drops)
    created = client.post("/api/sweeps", json={"base": TINY, "grid": {"lr": lrs, "seed": [0, 1, 2]}}).json()
    by_lr: dict[float, list[int]] = {}
    for run_id in created["new_runs"]:
        lr = client.get(f"/api/runs/{run_id}").json()["config"]["lr"]
        by_lr.setdefault(lr, []).append(run_id)
        finish(sessions, run_id, drop=drops[lr][len(by_lr[lr]) - 1])
    return created["id"], by_lr


def test_a_seed_sweep_compares_settings_on_their_seed_means(client, sessions):
    # lr 0.01 has the single luckiest seed (drop 0.01) and the worst mean; lr 0.001 is steadily low.
    sweep, by_lr = seed_sweep(client, sessions, {0.001: [0.10, 0.11, 0.12], 0.01: [0.01, 0.40, 0.45]})
    data = client.get(f"/api/compare?sweep={sweep}").json()
    assert data["seeded"] and data["best"] is None  # no single run is the pick
    groups = data["groups"]
    assert [g["ids"] for g in groups] == [by_lr[0.001], by_lr[0.01]] and [g["seeds"] for g in groups] == [[0, 1, 2]] * 2
    assert [g["label"] for g in groups] == ["lr=0.001", "lr=0.01"]
    assert data["best_group"] == 0 and data["verdict"].startswith("lr=0.001 (3 seeds) learns the task")
    assert "mean drop 11 pts [" in data["verdict"] and "overlaps" in data["verdict"]
    drop = groups[0]["summary"]["metrics"]["mean drop"]
    assert drop["mean"] == pytest.approx(0.11) and drop["lo"] < 0.11 < drop["hi"] and drop["n"] == 3
    colors = {r["id"]: r["color"] for r in data["runs"]}
    assert {colors[i] for i in by_lr[0.001]} == {groups[0]["color"]} != {groups[1]["color"]}  # a colour per setting
    band = groups[1]["curve"]["cap.knowledge.accuracy"]
    assert groups[1]["curve"]["steps"] == [0, 5, 10] and band["mean"][-1] == pytest.approx(0.9 - (0.01 + 0.4 + 0.45) / 3)
    assert band["lo"][-1] < band["mean"][-1] < band["hi"][-1]

    # The sweep's page and API: the winner is the setting, with its interval, never one seed.
    view = client.get(f"/api/sweeps/{sweep}").json()
    assert view["best"] is None and view["best_group"]["runs"] == by_lr[0.001]
    assert view["best_group"]["mean_drop"]["mean"] == pytest.approx(0.11) and view["best_group"]["n"] == 3
    page = client.get(f"/sweeps/{sweep}").text
    assert "lr=0.001 (3 seeds) learns the task with the least forgetting on the seed mean" in page
    assert page.count('class="tag best"') == 3  # each of its seeds' rows, none of the other setting's

    html = client.get(f"/compare?sweep={sweep}").text
    assert html.count('<th scope="col" class="group"') == 2 and 'id="seed-results"' in html
    assert html.count('class="pt group"') == 2 and html.count('class="err"') == 4  # two error bars per point


def test_only_seeds_of_one_setting_name_no_winner(client, sessions):
    created = client.post("/api/sweeps", json={"base": TINY, "grid": {"seed": [0, 1, 2]}}).json()
    for run_id, drop in zip(created["new_runs"], (0.1, 0.2, 0.3)):
        finish(sessions, run_id, drop=drop)
    data = client.get(f"/api/compare?sweep={created['id']}").json()
    assert data["best"] is None and data["best_group"] is None and len(data["groups"]) == 1
    assert data["verdict"].startswith("These runs differ only in their seed (3 finished)")
    assert "mean drop 20 pts [" in data["verdict"]
    assert client.get(f"/api/sweeps/{created['id']}").json()["best"] is None


def test_a_big_seed_sweep_compares_whole_settings(client, sessions):
    """Four settings x three seeds is 12 runs, over the 8 a comparison draws: it keeps whole settings (a mean
    needs all its seeds), the one that forgets least on its mean first."""
    created = client.post("/api/sweeps", json={"base": TINY, "grid": {"lr": [1e-4, 1e-3, 1e-2, 5e-2],
                                                                      "seed": [0, 1, 2]}}).json()
    drops = {1e-4: 0.30, 1e-3: 0.05, 1e-2: 0.20, 5e-2: 0.50}
    for run_id in created["new_runs"]:
        lr = client.get(f"/api/runs/{run_id}").json()["config"]["lr"]
        finish(sessions, run_id, drop=drops[lr])
    data = client.get(f"/api/compare?sweep={created['id']}").json()
    assert [g["label"] for g in data["groups"]] == ["lr=0.001", "lr=0.01"]  # 6 runs: two whole settings fit
    assert all(len(g["ids"]) == 3 for g in data["groups"]) and "whole settings" in data["note"]
    assert data["groups"][data["best_group"]]["label"] == "lr=0.001"


def test_the_least_forgetting_badge_names_its_filter_and_skips_a_run_that_did_not_learn(client, three):
    """Run 3 forgets least (2 points) but learnt half the task: the badge goes to run 2, the least forgetting of
    the runs that learnt it, and says so on the badge and in the verdict."""
    full, lora, slow = three
    page = client.get(f"/compare?runs={full},{lora},{slow}").text
    badged = re.findall(r'<tr data-run="(\d+)"><td>(?:(?!</td>).)*<span class="tag best"[^>]*>([^<]*)</span>', page, re.S)
    assert badged == [(str(lora), "least forgetting among runs that learnt the task")]
    assert "with the least forgetting among the runs that learnt it (reached 90%): its general skills fell 10 " \
           "points on average" in page
