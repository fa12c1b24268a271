"""Presentation: how stored runs read to people, as data the pages, the API and the CLI's export render.

Not request handlers (those are api/ and pages/) and not actions (services/): pure functions over stored
rows, plus the queries that gather them. reading.py puts a run's results in words (headline, verdicts,
what to try next); comparison.py lays 2-8 runs side by side (deltas, curves, the frontier, each run's
colour); scatter.py draws the learning-vs-forgetting scatter as SVG; export.py writes runs' metrics and
summaries as CSV or JSON.
"""
