"""Subcommands on caseloads: ``validate`` and ``synth``."""

from __future__ import annotations
