"""The forgetlab web lab: FastAPI pages and JSON API over the run database. Never imports torch.

What web and workers share (settings, the store, the live channel, the queue contract) lives in
core/; app/ holds the web side only: routers, pages, page logic and the executors.
"""
