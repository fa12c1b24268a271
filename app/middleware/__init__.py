"""ASGI middleware that acts before any route: request body and rate limits (limits.py, keyed by
rate_keys.py) and the security headers every response carries (security.py). app/main.py installs them."""
