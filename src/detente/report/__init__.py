"""The comparison report: matplotlib figures (:mod:`~detente.report.figures`) and one
self-contained HTML file (:mod:`~detente.report.html`, jinja2 templates as package data).

- :func:`write` — the report of an :class:`~detente.evaluation.Evaluation` (``detente.evaluate``);
- :func:`context` — the report's content as plain data (what the run store keeps, so
  ``detente report RUN_ID`` re-renders it without recomputing: :func:`write_context`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detente.report.html import (
    FIGURES,
    SECTIONS,
    bargaining_context,
    render_context,
    render_report,
    report_context,
    report_target,
    write_context,
    write_report,
)


def context(result: Any) -> dict[str, Any]:
    """Everything the report of ``result`` (an Evaluation) shows, as plain JSON-ready data.

    The content is a pure function of the result (its figures are drawn in matplotlib's
    default style, whatever the user's own), so it is kept in the stage cache
    (:mod:`detente._memo`) under the result's content fingerprint: the same result again (a
    warm ``detente compare``) gets the same content without importing matplotlib or drawing a
    figure (issue 16). The key is the result's fields but its start and end times (nothing in
    the report shows them), so a property cached on the object does not change it.
    """
    import dataclasses

    from detente._memo import fingerprint, memo

    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
              if f.name not in ("started", "ended")}
    key = {"evaluation": fingerprint(fields)}
    content, _ = memo("report", key, lambda: _context(result))
    return content


def _context(result: Any) -> dict[str, Any]:
    comp = result.comparison
    if not comp.bound:
        return bargaining_context(comp)
    return report_context(comp, claims=result.claims or [], panel=result.panel,
                          backtest=result.backtest, sensitivity=result.sensitivity,
                          track_record=result.track_record, audit=result.audit,
                          calibration=result.calibration,
                          forecast_record=result.forecast_record)


def write(result: Any, path: str | Path) -> Path:
    """Write the HTML report of ``result`` (an Evaluation) atomically to ``path`` (a ``.html``
    file, or a folder that gets ``<scenario>-comparison.html``); returns the file written."""
    return write_context(context(result), path)


__all__ = ["FIGURES", "SECTIONS", "bargaining_context", "context", "render_context",
           "render_report", "report_context", "report_target", "write", "write_context",
           "write_report"]
