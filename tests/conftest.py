"""Shared fixtures: the shipped base model and the world's encoded suite, loaded once per session."""

import pytest


@pytest.fixture(scope="session")
def base():
    from worker.engine.model import load

    return load()


@pytest.fixture(scope="session")
def encoded_suite(base):
    from core.tiers.synthetic import world
    from worker.engine.evaluate import EncodedSuite

    return EncodedSuite.build(world.probe_suite(), base[1])
