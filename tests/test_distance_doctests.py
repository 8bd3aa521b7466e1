"""Every doctest in pbr_fairness/distance runs and passes (part of ``make test``)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import pbr_fairness.distance as distance

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(distance.__path__, f"{distance.__name__}.")
)


@pytest.mark.parametrize("name", [distance.__name__, *MODULES])
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"


def test_the_distance_package_has_examples() -> None:
    finder = doctest.DocTestFinder()
    examples = sum(
        len(t.examples) for name in MODULES for t in finder.find(importlib.import_module(name))
    )
    assert examples >= 30
