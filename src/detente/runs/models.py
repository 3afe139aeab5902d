"""Sweep models that call détente's engines (registered on import of :mod:`detente.runs`)."""
