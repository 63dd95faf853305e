"""Fixtures of the UI tests: the scene at a fixed date, and logged-in clients per persona."""

import pytest
import time_machine

from .scene import NOW, build_scene


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene(db, frozen):
    return build_scene()


@pytest.fixture
def as_user(client):
    """as_user(user) logs the test client in as that persona (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login
