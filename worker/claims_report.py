"""The claims' rows as people read them: a plain-text report, or the Markdown table of docs/claims.md."""

from __future__ import annotations


def interval(test: dict, prefix: str = "", digits: int = 3) -> str:
    """`mean [lo, hi]`, or n/a where the test could not be measured."""
    mean, ci = test[prefix + "mean"], test[prefix + "ci"]
    if mean is None:
        return "n/a"
    return f"{mean:+.{digits}f} [{ci[0]:+.{digits}f}, {ci[1]:+.{digits}f}]"


def text(rows: list[dict], seeds: int, bases: int) -> str:
    """Each test's mean effect, 90% interval and verdict, then each unit's notes."""
    lines = [f"{seeds} seed(s) x {bases} base(s); effects: mean [90% bootstrap interval]; verdicts against a "
             f"minimum effect fixed before the runs"]
    for row in rows:
        lines += ["", f"{row['claim']}. {row['text']} ({row['source']}): {row['verdict'].upper()}"]
        for t in row["tests"]:
            lines.append(f"   {t['name']}: {interval(t)} (min {t['min_effect']:g}, {t['kind']}; "
                         f"{t['measurable']}/{t['units']} units) -> {t['verdict']}; "
                         f"beside it: {interval(t, 'beside_')}")
        lines += [f"     base {u['base_seed']} seed {u['seed']}: {'; '.join(u['notes'])}" for u in row["units"]]
    return "\n".join(lines)


def markdown(rows: list[dict]) -> str:
    """The claims table of docs/claims.md: one line per test, the claim's number, text and verdict on its first."""
    lines = ["| # | claim (source) | test → its verdict | effect, mean [90% CI] | NLL beside it (nats) | "
             "measurable units | verdict |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        claim = row["text"] + (f" ({row['source']})" if row["source"] != "the article" else "")
        for i, t in enumerate(row["tests"]):
            # "—" where the other measure cannot differ (task accuracy, say) or was not measured.
            same = t["beside_mean"] == t["mean"] and t["beside_ci"] == t["ci"]
            beside = "—" if t["beside_mean"] is None or same else interval(t, "beside_", 2)
            first = i == 0
            lines.append(f"| {row['claim'] if first else ''} | {claim if first else ''} | {t['name']} → {t['verdict']} "
                         f"| {interval(t)} | {beside} | {t['measurable']}/{t['units']} | "
                         f"{'**' + row['verdict'] + '**' if first else ''} |")
    return "\n".join(lines)
