"""A Redis of the test's own, on a free port, that a test may stop and start again (never the shared 6379)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        if os.environ.get("FORGETLAB_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{binary} is not installed (FORGETLAB_REQUIRE_SERVICES=1)", pytrace=False)
        pytest.skip(f"{binary} is not installed")
    return path


class OwnRedis:
    """redis-server on its own port, without persistence: stopping it loses every message, as an outage does."""

    def __init__(self, directory):
        self.binary, self.port, self.dir = need("redis-server"), free_port(), str(directory)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", self.dir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
