"""Fixtures of the report tests (built once per process in ``_shared``)."""

from __future__ import annotations

import pytest

from tests.policy import _shared


@pytest.fixture(scope="session")
def korea():
    return _shared.korea()


@pytest.fixture(scope="session")
def posterior():
    return _shared.posterior()


@pytest.fixture(scope="session")
def panel():
    return _shared.panel()


@pytest.fixture(scope="session")
def small_comparison():
    return _shared.small_comparison()


@pytest.fixture(scope="session")
def episode_backtest():
    return _shared.episode_backtest()
