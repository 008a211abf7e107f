"""Every public function has a numpydoc docstring (formula, parameters, defaults, an
example), and its examples run (doctest)."""
from __future__ import annotations

import doctest
import inspect

import pytest

import pyact as pa
from pyact import _catalog

# The functions of the package core and the catalog-generated ones (a family module that
# defines its own functions documents them there, in the same format).
_OWN = ("pyact", "pyact.functional", "pyact.registry", "pyact.threads")
PUBLIC = sorted(n for n in pa.__all__ if inspect.isfunction(getattr(pa, n))
                and inspect.unwrap(getattr(pa, n)).__module__ in _OWN)
GENERATED = [a for a in _catalog.CATALOG if getattr(pa, a.name, None) is not None
             and inspect.unwrap(getattr(pa, a.name)).__module__ == "pyact.functional"]


@pytest.mark.parametrize("name", PUBLIC)
def test_numpydoc_sections_and_examples_run(name):
    fn = getattr(pa, name)
    doc = inspect.getdoc(fn) or ""
    for section in ("Parameters\n----------", "Examples\n--------") if name not in (
            "available", "info", "get_num_threads") else ("Returns\n-------", "Examples\n--------"):
        assert section in doc, f"pa.{name}: no {section.splitlines()[0]} section"
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for test in finder.find(fn, f"pa.{name}", globs={}):
        result = runner.run(test)
        assert result.failed == 0, f"pa.{name}: {result.failed} doctest example(s) failed"


@pytest.mark.parametrize("act", GENERATED, ids=lambda a: a.name)
def test_generated_docstring_has_formula_and_every_parameter(act):
    doc = getattr(pa, act.name).__doc__
    assert act.formula in doc
    for q in act.params:
        assert f"\n{q.name} : " in doc
        if q.default is not _catalog.REQUIRED:
            assert f"default {q.default!r}" in doc
