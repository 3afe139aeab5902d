"""The comparison report: matplotlib figures (:mod:`~detente.report.figures`) and one
self-contained HTML file (:mod:`~detente.report.html`, jinja2 templates as package data)."""

from __future__ import annotations

from detente.report.html import FIGURES, SECTIONS, render_report, report_target, write_report

__all__ = ["FIGURES", "SECTIONS", "render_report", "report_target", "write_report"]
