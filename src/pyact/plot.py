"""Pictures of activations and of training runs (``pyact plot``, ``pyact train --plot``,
``pyact compare --plot``, ``pyact demo``).

matplotlib is an optional extra (``pip install 'pyact[plot]'``). Figures are drawn with
the object API on an Agg canvas (no pyplot, no GUI, no global state) and saved at a
fixed size, so a figure of ``figsize`` inches at ``dpi`` is exactly that many pixels.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

__all__ = ["MissingMatplotlib", "require_matplotlib", "curves", "plot_activations", "plot_history",
           "plot_compare", "save"]

INSTALL_HINT = "pip install 'pyact[plot]'  (or: pip install matplotlib)"

# Colour-blind-safe palette (Okabe & Ito), then matplotlib's default cycle.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]


class MissingMatplotlib(ImportError):
    """matplotlib, the ``plot`` extra, is not installed."""


def require_matplotlib():
    """The matplotlib Figure class, or :class:`MissingMatplotlib` saying how to get it."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingMatplotlib(f"plotting needs matplotlib, which is not installed: {INSTALL_HINT}") from None
    return Figure


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _label(act: Any) -> str:
    """``name`` or ``name(p=v, ...)`` for the parameters that differ from the defaults."""
    spec = getattr(act, "spec", None)
    if spec is None:
        return act.name
    defaults = spec.defaults
    diff = {k: v for k, v in act.params.items()   # a drawn seed says nothing about the curve's shape
            if not isinstance(v, np.ndarray) and k != "seed" and (k not in defaults or defaults[k] != v)}
    return act.name + ("(" + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                        for k, v in diff.items()) + ")" if diff else "")


def curves(act: Any, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(xs) and f'(xs) of an elementwise activation object, in float64.

    Per-channel activations (``axis=1``) are evaluated on a column, so their shared
    parameter applies. Raises ValueError for functions that are not elementwise.
    """
    spec = getattr(act, "spec", None)
    if spec is not None and spec.family == "axis":
        raise ValueError(f"{act.name} works along an axis (not elementwise): it has no curve to plot")
    x = np.asarray(xs, dtype=np.float64)
    for shape in (x.shape, (x.size, 1)):
        try:
            xi = x.reshape(shape)
            with np.errstate(all="ignore"):
                y = np.asarray(act(xi), dtype=np.float64)
                d = np.asarray(act.backward(np.ones_like(xi), x=xi), dtype=np.float64)
        except (ValueError, TypeError):
            continue
        if y.shape == xi.shape and d.shape == xi.shape:
            return y.ravel(), d.ravel()
    raise ValueError(f"{act.name} does not map x elementwise to an array of x's shape: no curve to plot")


def _unjoin(xs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Break the line at jumps (step, hardshrink, a derivative's discontinuity), so they
    are not drawn as steep segments: a jump is a step much larger than both neighbours."""
    dy = np.abs(np.diff(y))
    with np.errstate(invalid="ignore"):
        near = np.maximum(np.concatenate([[0.0], dy[:-1]]), np.concatenate([dy[1:], [0.0]]))
        span = np.nanmax(np.abs(y)) if np.isfinite(y).any() else 0.0
        jumps = np.flatnonzero((dy > 8 * near) & (dy > 1e-3 * max(span, 1.0)))
    if jumps.size == 0:
        return xs, y
    return np.insert(xs, jumps + 1, np.nan), np.insert(y, jumps + 1, np.nan)


def _ylim(values: list[np.ndarray], xrange: tuple[float, float]) -> tuple[float, float]:
    """A y range that shows every curve's interesting part: fast-growing curves (eˣ) are
    cut at 1.5 times the x range, and the axes always include -1..1."""
    finite = np.concatenate([v[np.isfinite(v)] for v in values] or [np.zeros(1)])
    cap = 1.5 * max(abs(xrange[0]), abs(xrange[1]), 1.0)
    lo = max(min(float(finite.min(initial=0.0)), -1.0), -cap)
    hi = min(max(float(finite.max(initial=0.0)), 1.0), cap)
    pad = 0.08 * (hi - lo)
    return lo - pad, hi + pad


def _style(ax, title: str | None = None, xlabel: str = "x", ylabel: str = "", origin: bool = True) -> None:
    if origin:
        ax.axhline(0, color="#999999", lw=0.6, zorder=0)
        ax.axvline(0, color="#999999", lw=0.6, zorder=0)
    ax.grid(True, color="#e6e6e6", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=11)


def plot_activations(acts: Sequence[Any], *, grad: bool = False, xrange: tuple[float, float] = (-5.0, 5.0),
                     layout: str = "auto", ncols: int | None = None, points: int = 801,
                     figsize: tuple[float, float] | None = None, dpi: int = 100, title: str | None = None):
    """A figure of activation curves: f solid, f' dashed in the same colour when ``grad``.

    Parameters
    ----------
    acts : sequence of Activation
        What to draw (``pa.get(name, **params)`` objects).
    grad : bool
        Also draw each derivative (dashed).
    xrange : (float, float)
        The x interval.
    layout : {"auto", "single", "grid"}
        One panel for every curve, or one panel per activation; "auto" picks one panel
        for up to three activations.
    ncols : int, optional
        Columns of the grid (default: up to 4).
    figsize : (float, float), optional
        Inches; default grows with the number of panels.
    dpi : int
        Pixels per inch when saved.

    Returns
    -------
    matplotlib.figure.Figure
    """
    Figure = require_matplotlib()
    acts = list(acts)
    if not acts:
        raise ValueError("nothing to plot: give at least one activation")
    a, b = float(xrange[0]), float(xrange[1])
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise ValueError(f"range must be two finite numbers A < B, got {a:g} {b:g}")
    if layout not in ("auto", "single", "grid"):
        raise ValueError(f"layout must be 'auto', 'single' or 'grid', got {layout!r}")
    xs = np.linspace(a, b, points)
    data = [(act, *curves(act, xs)) for act in acts]
    grid = layout == "grid" or (layout == "auto" and len(acts) > 3)
    n = len(acts) if grid else 1
    cols = min(ncols or 4, n)
    rows = math.ceil(n / cols)
    if figsize is None:
        figsize = (3.4 * cols + 0.6, 2.9 * rows + 0.5) if grid else (7.0, 4.6)
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    for i, (act, y, d) in enumerate(data):
        ax = axes[i] if grid else axes[0]
        c = "#0072B2" if grid else _color(i)
        name = _label(act)
        ax.plot(*_unjoin(xs, y), color=c, lw=2.0, label=f"{name}" if not grid else "f(x)")
        if grad:
            ax.plot(*_unjoin(xs, d), color=c if not grid else "#D55E00", lw=1.5, ls="--",
                    label=f"{name}′" if not grid else "f′(x)")
        if grid:
            _style(ax, name, ylabel="f(x)" if i % cols == 0 else "")
            ax.set_ylim(*_ylim([y, d] if grad else [y], (a, b)))
            ax.set_xlim(a, b)
            if i == 0 and grad:
                ax.legend(loc="upper left", fontsize=8, frameon=False)
    if not grid:
        ax = axes[0]
        _style(ax, title or ("activations and derivatives (dashed)" if grad else "activations"),
               ylabel="f(x), f′(x)" if grad else "f(x)")
        ax.set_xlim(a, b)
        ax.set_ylim(*_ylim([v for _, y, d in data for v in ((y, d) if grad else (y,))], (a, b)))
        ax.legend(loc="best", fontsize=9, frameon=False)
    elif title:
        fig.suptitle(title)
    return fig


def _hist(history: Any) -> list[dict]:
    """A trainer's history as one dict per epoch (accepts a list of dicts, a dict of
    lists, or an object with a ``history`` or ``epochs`` attribute)."""
    for attr in ("epochs", "history"):
        if not isinstance(history, (list, dict)) and hasattr(history, attr):
            history = getattr(history, attr)
    if isinstance(history, dict):
        n = max((len(v) for v in history.values() if isinstance(v, (list, tuple, np.ndarray))), default=0)
        return [{k: (v[i] if isinstance(v, (list, tuple, np.ndarray)) else v) for k, v in history.items()}
                for i in range(n)]
    return [e if isinstance(e, dict) else vars(e) for e in history]


def series(history: Any, *keys: str) -> np.ndarray | None:
    """The per-epoch values of the first of ``keys`` the history has (None if none)."""
    rows = _hist(history)
    for k in keys:
        if rows and k in rows[0] and rows[0][k] is not None:
            return np.array([float(r[k]) if r.get(k) is not None else np.nan for r in rows])
    return None


_LOSS = ("loss", "train_loss")
_VAL_LOSS = ("val_loss", "validation_loss", "test_loss")
_ACC = ("accuracy", "acc", "train_accuracy")
_VAL_ACC = ("val_accuracy", "val_acc", "validation_accuracy", "test_accuracy")


def plot_history(history: Any, *, title: str | None = None, figsize: tuple[float, float] = (9.0, 3.8),
                 dpi: int = 100):
    """Loss and accuracy per epoch of one training run (training solid, validation dashed)."""
    Figure = require_matplotlib()
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, (train_k, val_k, what) in zip(axes, ((_LOSS, _VAL_LOSS, "loss"), (_ACC, _VAL_ACC, "accuracy"))):
        tr, va = series(history, *train_k), series(history, *val_k)
        for s, label, ls in ((tr, "training", "-"), (va, "validation", "--")):
            if s is not None:
                ax.plot(np.arange(1, len(s) + 1), s, ls=ls, lw=2, color="#0072B2" if ls == "-" else "#D55E00",
                        label=label)
        _style(ax, what, xlabel="epoch", ylabel=what + (" (log scale)" if what == "loss" else ""), origin=False)
        _epochs_axis(ax, log=what == "loss")
        ax.legend(frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def plot_compare(histories: dict[str, Any], *, title: str | None = None,
                 figsize: tuple[float, float] = (10.0, 4.0), dpi: int = 100):
    """Training loss and validation accuracy per epoch, one curve per activation."""
    Figure = require_matplotlib()
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for i, (name, h) in enumerate(histories.items()):
        loss = series(h, *_LOSS)
        acc = series(h, *_VAL_ACC) if series(h, *_VAL_ACC) is not None else series(h, *_ACC)
        if loss is not None:
            ax_loss.plot(np.arange(1, len(loss) + 1), loss, color=_color(i), lw=2, label=name)
        if acc is not None:
            ax_acc.plot(np.arange(1, len(acc) + 1), acc, color=_color(i), lw=2, label=name)
    _style(ax_loss, "training loss", xlabel="epoch", ylabel="loss (log scale)", origin=False)
    _epochs_axis(ax_loss, log=True)
    _style(ax_acc, "validation accuracy", xlabel="epoch", ylabel="accuracy", origin=False)
    _epochs_axis(ax_acc, log=False)
    ax_acc.legend(frameon=False, loc="lower right")
    if title:
        fig.suptitle(title)
    return fig


def _epochs_axis(ax, log: bool) -> None:
    """Whole epochs on x; a log loss axis labelled with plain numbers."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))

        def minor(v: float, _: Any) -> str:
            # label some minor ticks, fewer the more decades the axis spans
            lo, hi = ax.get_ylim()
            decades = math.log10(hi / lo) if lo > 0 and hi > lo else 10.0
            keep = (2, 3, 4, 6) if decades < 1 else (2, 5) if decades < 2.5 else ()
            mantissa = round(v / 10 ** math.floor(math.log10(v)), 6) if v > 0 else 0
            return f"{v:g}" if mantissa in keep else ""
        ax.yaxis.set_minor_formatter(FuncFormatter(minor))
        ax.tick_params(axis="y", which="minor", labelsize=8)


def save(fig, path: str) -> str:
    """Save a figure (format from the file name, PNG by default) at its exact size.
    Returns the path written: a name without an extension gets ``.png`` (as matplotlib
    would append it), so that what the caller reports is the file that exists."""
    import os
    if not os.path.splitext(os.fspath(path))[1]:
        path = os.fspath(path) + ".png"
    fig.savefig(path, dpi=fig.dpi)
    return path
