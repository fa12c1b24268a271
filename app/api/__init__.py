"""The JSON API (/api/...), one router per file; main.py only includes them."""
