"""The evidence base: détente's cited history of the DPRK weapons programme and diplomacy.

Tidy frames, each row with its ``source``:

- :func:`missile_launches` — one row per missile/SLV flight (CNS unit), 1984–2025;
- :func:`launch_events` — one row per distinct launch date (the primary count unit);
- :func:`nuclear_tests`, :func:`diplomacy_events`, :func:`sanctions`,
  :func:`us_policy_periods`, :func:`arsenal_estimates`, :func:`leaders`;
- :func:`monthly_panel` — one row per month, the frame the dynamic model is fitted to, with the
  diplomatic regime coded by the rule in :mod:`detente.evidence.regime`;
- :func:`yearly_summary` — the record summed by calendar year; :func:`dated_records` — every
  dated record of a year range, one row each;
- :func:`data_hash` — a hash of the shipped data files (and the user layer), for caches;
- :func:`add_evidence`, :func:`list_added`, :func:`remove_added` — the user evidence layer
  (:mod:`detente.evidence.user`): your own dated observations on top of the shipped data.
  Every loader above includes the layer unless called with ``user_layer=False``.

The data are package files built from ``reference/history/`` by ``scripts/build_evidence.py``;
``docs/evidence.md`` describes sources, the unit of count, the regime rule and known gaps.
"""

from __future__ import annotations

from detente.evidence._data import (
    arsenal_estimates,
    data_hash,
    diplomacy_events,
    launch_events,
    leaders,
    missile_launches,
    nuclear_tests,
    sanctions,
    us_policy_periods,
)
from detente.evidence.panel import PANEL_COLUMNS, complete_through, monthly_panel
from detente.evidence.regime import REGIMES, code_regimes
from detente.evidence.summary import dated_records, yearly_summary
from detente.evidence.user import (
    EvidenceError,
    add_evidence,
    coverage,
    list_added,
    remove_added,
)

__all__ = [
    "PANEL_COLUMNS",
    "REGIMES",
    "EvidenceError",
    "add_evidence",
    "arsenal_estimates",
    "code_regimes",
    "complete_through",
    "coverage",
    "data_hash",
    "dated_records",
    "diplomacy_events",
    "launch_events",
    "leaders",
    "list_added",
    "missile_launches",
    "monthly_panel",
    "nuclear_tests",
    "remove_added",
    "sanctions",
    "us_policy_periods",
    "yearly_summary",
]
