"""Fixtures of the dynamic-model tests: a private posterior cache, the real panel, a truth."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test writes fitted posteriors to a fresh folder, never to ~/.cache/detente."""
    monkeypatch.setenv("DETENTE_CACHE", str(tmp_path_factory.mktemp("detente-cache")))


@pytest.fixture(scope="session")
def panel():
    """The cited history as the monthly panel (detente.evidence)."""
    from detente.evidence import monthly_panel

    return monthly_panel()


#: Known parameters for simulated panels (close to the full-record fit, so the simulated series
#: looks like the DPRK record; the truth of the parameter-recovery test).
TRUTH: dict[str, float | np.ndarray] = {
    "log_base_rate": -2.0, "log_rate_ratio_dialogue": -0.8, "log_rate_ratio_crisis": 0.5,
    "sanctions_effect": 0.3, "leader_kim_jong_il": -0.5, "leader_kim_jong_un": 1.2,
    "season_cos": -0.3, "season_sin": 0.2, "self_excitation": 0.6, "memory_decay": 0.6,
    "concentration": 1.5, "nuclear_logit_base": -4.0, "nuclear_log_odds_dialogue": -1.0,
    "extra_missiles_per_event": 0.9, "salvo_concentration": 0.7,
    "transition": np.array([[0.95, 0.03, 0.02], [0.03, 0.93, 0.04], [0.05, 0.20, 0.75]]),
}
