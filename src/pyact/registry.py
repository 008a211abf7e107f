"""The registry: ``get``, ``available``, ``register`` and name resolution."""
from __future__ import annotations

import difflib
import os
import threading
from typing import Any, Callable

from . import _catalog
from .activations import CLASSES, Activation, UserActivation

__all__ = ["get", "available", "register", "resolve", "spec_of"]

_USER: dict[str, type[UserActivation]] = {}
_LOCK = threading.Lock()


def _reset_lock() -> None:  # a lock another thread held at fork() stays held in the child
    global _LOCK
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock)


def _all_names() -> list[str]:
    names = [n for a in _catalog.CATALOG for n in (a.name, *a.aliases)]
    return names + list(_USER)


def _folded(name: str) -> str:
    return name.lower().replace("_", "")


def closest(name: str, names: list[str]) -> list[str]:
    """Up to four of ``names`` close to ``name``, ignoring case and underscores first
    (PyTorch's class names: ``LeakyReLU`` -> leaky_relu)."""
    by_fold: dict[str, list[str]] = {}
    for n in names:
        by_fold.setdefault(_folded(n), []).append(n)
    if _folded(name) in by_fold:
        return by_fold[_folded(name)]
    near = difflib.get_close_matches(_folded(name), list(by_fold), n=4, cutoff=0.5)
    return [n for f in near for n in by_fold[f]][:4]


def resolve(name: str) -> str:
    """The canonical name for a name or alias; KeyError listing the closest names."""
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a str, got {type(name).__name__}")
    act = _catalog.by_name(name)
    if act is not None:
        return act.name
    if name in _USER:
        return name
    hint = f"; closest: {', '.join(near)}" if (near := closest(name, _all_names())) else ""
    raise KeyError(f"unknown activation {name!r}{hint} (pyact.available() lists them all)")


def available() -> list[str]:
    """Names of every activation.

    Returns
    -------
    list of str
        Sorted canonical names, built-in and registered (aliases are not listed).

    Examples
    --------
    >>> import pyact as pa
    >>> "relu" in pa.available()
    True
    """
    return sorted({a.name for a in _catalog.CATALOG} | set(_USER))


def get(name: str | Activation, **params: Any) -> Activation:
    """A new Activation object.

    Parameters
    ----------
    name : str or Activation
        Canonical name or alias; an Activation is returned as is (no parameters allowed).
    **params
        The activation's parameters (defaults: the catalog's, see ``pa.<name>``).

    Returns
    -------
    Activation
        ``act(x)``, ``act.backward(g, x=...)``, ``act.params``, ``act.y_ok``.

    Raises
    ------
    KeyError
        Unknown name (the message lists the closest ones).
    TypeError, ValueError
        Unknown parameter, invalid value.

    Examples
    --------
    >>> import pyact as pa
    >>> pa.get("leaky_relu", negative_slope=0.1)
    LeakyReLU(negative_slope=0.1)
    """
    if isinstance(name, Activation):
        if params:
            raise TypeError("get(activation_object) takes no parameters")
        return name
    canon = resolve(name)
    if canon in _USER:
        if params:
            raise TypeError(f"registered activation {canon!r} takes no parameters")
        return _USER[canon]()
    return CLASSES[canon](**params)


def register(name: str, forward: Callable | None = None, backward: Callable | None = None, *,
             overwrite: bool = False):
    """Register an activation from Python callables.

    Parameters
    ----------
    name : str
        A new identifier (an existing one needs ``overwrite=True``; built-ins never).
    forward : callable, optional
        ``forward(x) -> y`` on NumPy arrays. Omitted: ``register`` returns a decorator.
    backward : callable, optional
        ``backward(g, x, y) -> dL/dx``. Default None: a float64 central difference is
        used and ``act.numeric_grad`` is True.
    overwrite : bool, default False
        Replace an activation registered earlier under ``name``.

    Returns
    -------
    callable
        ``forward`` (so it works as a decorator).

    Examples
    --------
    >>> import numpy as np, pyact as pa
    >>> _ = pa.register("sine_doc", np.sin, lambda g, x, y: g * np.cos(x), overwrite=True)
    >>> float(pa.get("sine_doc")(np.array(0.0)))
    0.0
    """
    if forward is None:
        def decorator(fn: Callable) -> Callable:
            register(name, fn, backward, overwrite=overwrite)
            return fn
        return decorator
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register: name must be an identifier string, got {name!r}")
    if not callable(forward) or (backward is not None and not callable(backward)):
        raise TypeError("register: forward and backward must be callables")
    with _LOCK:
        if not overwrite and (name in _USER or _catalog.by_name(name) is not None):
            raise ValueError(f"activation {name!r} already exists; pass overwrite=True to replace it")
        if _catalog.by_name(name) is not None:
            raise ValueError(f"{name!r} is a built-in activation and cannot be replaced")
        cls = type(f"User_{name}", (UserActivation,), {
            "fwd": staticmethod(forward), "bwd": staticmethod(backward) if backward else None,
            "user_name": name, "numeric_grad": backward is None,
        })
        _USER[name] = cls
    return forward


def spec_of(name: str) -> _catalog.Act | None:
    """The catalog entry of a built-in name or alias (None for registered ones)."""
    return _catalog.by_name(resolve(name))
