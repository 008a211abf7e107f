"""The ``pyact`` command (SPEC §8): list, info, plot, bench, accuracy, train, compare, demo.

Every subcommand has ``--help``. A bad argument (an unknown activation, parameter or
dataset, a malformed value, a missing optional module) prints one line to stderr and
exits with status 2, never a traceback. Everything shown is read from the catalog and the
registry, so new activations appear without touching this file. The modules of the
heavier commands (bench, plot, accuracy, mlp, datasets) are imported inside them.
"""
from __future__ import annotations

import argparse
import difflib
import importlib
import importlib.util
import inspect
import json
import math
import os
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["main", "UsageError", "parse_activation", "catalog_rows", "markdown_table"]

DATASETS = ("digits", "breast_cancer", "spirals", "moons", "xor")
COMPARE_DEFAULT = "relu,gelu,tanh,sigmoid,selu,swish"
BENCH_DEMO = ("relu", "leaky_relu", "sigmoid", "tanh", "gelu", "swish", "mish", "softplus")


class UsageError(Exception):
    """A bad argument or a missing optional module: one line on stderr, exit status 2."""

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog


# --- progress ----------------------------------------------------------------------------------
class Progress:
    """A small progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int | None, desc: str = "", stream=None) -> None:
        self.total, self.desc, self.n = total, desc, 0
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self._draw()

    def update(self, n: int = 1, note: str = "") -> None:
        self.n += n
        self._draw(note)

    def set(self, done: float, total: float | None = None, note: str = "") -> None:
        self.n = done
        if total:
            self.total = total
        self._draw(note)

    def _draw(self, note: str = "") -> None:
        if not self.live:
            return
        dt = time.perf_counter() - self.t0
        if self.total:
            frac = min(max(self.n / self.total, 0.0), 1.0)
            bar = "█" * int(24 * frac) + "·" * (24 - int(24 * frac))
            text = f"{self.desc} {bar} {self.n:g}/{self.total:g} {dt:5.1f}s {note}"
        else:
            text = f"{self.desc} {self.n:g} {dt:5.1f}s {note}"
        self.stream.write("\r" + text[:110].ljust(110))
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()

    def callback(self) -> Callable[..., None]:
        """A progress callback for library code that reports ``(done, total, note)``
        in any of the usual forms (positional numbers, a fraction, a label)."""
        def cb(*args: Any, **kw: Any) -> None:
            nums = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
            words = [str(a) for a in args if isinstance(a, str)]
            done = kw.get("done", nums[0] if nums else self.n + 1)
            total = kw.get("total", nums[1] if len(nums) > 1 else None)
            note = kw.get("desc", kw.get("name", words[0] if words else ""))
            if total is None and isinstance(done, float) and 0 <= done <= 1 and not self.total:
                done, total = done * 100, 100
            self.set(done, total, str(note))
        return cb


# --- activation names with parameters ----------------------------------------------------------
def _value(text: str) -> Any:
    """A command-line parameter value: a number, None, a bool, or the string itself."""
    low = text.strip().lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text.strip()


def parse_activation(text: str) -> tuple[str, dict]:
    """``"leaky_relu:negative_slope=0.2,alpha=…"`` -> ("leaky_relu", {...}), checked by
    building the activation (unknown name, parameter or value: :class:`UsageError`)."""
    name, _, rest = text.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, val = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"bad parameter {item!r} in {text!r}: write NAME:param=value[,param=value]")
        params[key.strip()] = _value(val)
    make(name.strip(), params)
    return name.strip(), params


def _split_list(text: str) -> list[str]:
    """``"relu:max_value=6,threshold=1,gelu"`` -> ["relu:max_value=6,threshold=1", "gelu"]:
    a ``param=value`` item without a ``:`` belongs to the activation before it."""
    out: list[str] = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        if "=" in item and ":" not in item and out:
            out[-1] += "," + item
        else:
            out.append(item)
    return out


def make(name: str, params: dict | None = None):
    """The Activation for ``name`` with ``params`` (required parameters without a value
    get 0.0), or a one-line :class:`UsageError`."""
    import pyact as pa
    from .bench import example_params
    from .registry import resolve, spec_of
    try:
        canon = resolve(name)
        return pa.get(canon, **{**example_params(spec_of(canon)), **(params or {})})
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from None


def make_for_plot(text: str):
    """The Activation of ``NAME[:param=value,...]`` as a curve: stochastic activations
    (a ``training`` parameter) in evaluation mode unless asked otherwise."""
    name, params = parse_activation(text)
    from .registry import resolve, spec_of
    spec = spec_of(resolve(name))
    if spec is not None and "training" in {q.name for q in spec.params}:
        params.setdefault("training", False)
    return make(name, params)


def _need(module: str, what: str):
    """Import an optional pyact module, or a one-line UsageError naming what is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise UsageError(f"{what} needs {module}, which this installation lacks ({e})") from None


# --- the catalog as rows ----------------------------------------------------------------------
def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return repr(v)


def catalog_rows() -> list[dict]:
    """One dict per available activation (built-in and registered): name, aliases,
    parameters with defaults, formula, family, class, y_ok (at the defaults, and whether
    it depends on the parameters), learnable parameter names."""
    import pyact as pa
    from ._catalog import REQUIRED
    from .activations import CLASSES
    from .bench import example_params
    from .registry import spec_of
    rows = []
    for name in pa.available():
        spec = spec_of(name)
        if spec is None:
            rows.append({"name": name, "aliases": [], "params": [], "formula": "user-defined (pyact.register)",
                         "family": "user", "class": None, "y_ok": False, "y_ok_depends": False,
                         "learnable": []})
            continue
        example = {**spec.defaults, **example_params(spec)}
        try:
            obj = pa.get(name, **example_params(spec))
            learnable = list(obj.learnable)
            y_ok = bool(obj.y_ok)
        except Exception:  # a family that needs more than defaults: read the class
            learnable = list(getattr(CLASSES.get(name), "learnable", ()))
            y_ok = bool(spec.y_ok_for(example)) if not callable(spec.y_ok) else False
        rows.append({
            "name": name, "aliases": list(spec.aliases),
            "params": [{"name": q.name, "default": None if q.default is REQUIRED else _jsonable(q.default),
                        "required": q.default is REQUIRED, "aliases": list(q.aliases)} for q in spec.params],
            "formula": spec.formula, "family": spec.family, "class": spec.cls,
            "y_ok": y_ok, "y_ok_depends": callable(spec.y_ok), "learnable": learnable,
        })
    return rows


def _params_text(row: dict) -> str:
    parts = []
    for p in row["params"]:
        alias = f" (alias {', '.join(p['aliases'])})" if p["aliases"] else ""
        parts.append(f"{p['name']} (required){alias}" if p["required"]
                     else f"{p['name']}={_fmt_default(p['default'])}{alias}")
    return ", ".join(parts)


def _fmt_default(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, str):
        return repr(v)
    return str(v)


def _yes(row: dict) -> str:
    return ("yes" if row["y_ok"] else "no") + ("*" if row["y_ok_depends"] else "")


def markdown_table() -> str:
    """The README's activation table, from the catalog."""
    def cell(s: str) -> str:
        return s.replace("|", "\\|")
    lines = ["| name | aliases | parameters (defaults) | f(x) | family | y-ok | learnable |",
             "|---|---|---|---|---|---|---|"]
    for r in catalog_rows():
        if r["family"] == "user":
            continue
        lines.append("| " + " | ".join([
            f"`{r['name']}`", cell(", ".join(r["aliases"])) or "—", cell(_params_text(r)) or "—",
            f"`{cell(r['formula'])}`", r["family"], _yes(r), cell(", ".join(r["learnable"])) or "—"]) + " |")
    lines.append("")
    lines.append("y-ok: backward can run from the output y alone (at the defaults; * = depends on "
                 "the parameters). Generated by `python tools/gen_readme_table.py` from "
                 "`src/pyact/_catalog.py`.")
    return "\n".join(lines)


# --- tables -----------------------------------------------------------------------------------
def _table(cols: Sequence[str], rows: Sequence[Sequence[Any]], left: int = 1) -> str:
    """Columns padded to width: the first ``left`` left-aligned (text), the rest right (numbers)."""
    rows = [[str(c) for c in r] for r in rows]
    w = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]
    fmt = lambda r: "  ".join(s.ljust(w[i]) if i < left else s.rjust(w[i]) for i, s in enumerate(r)).rstrip()  # noqa: E731
    return "\n".join([fmt(cols), "  ".join("-" * x for x in w), *map(fmt, rows)])


# --- list / info --------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    rows = catalog_rows()
    if args.json:
        print(json.dumps(rows, indent=1))
    elif args.markdown:
        print(markdown_table())
    else:
        print(_table(["name", "aliases", "parameters", "family", "y-ok", "learnable"],
                     [[r["name"], ", ".join(r["aliases"]) or "-", _params_text(r) or "-", r["family"],
                       _yes(r), ", ".join(r["learnable"]) or "-"] for r in rows], left=6))
        print(f"\n{len(rows)} activations; y-ok: backward from the output alone "
              "(* depends on the parameters). pyact list --json for machines.")
    return 0


def _extras() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    found: dict[str, Any] = {}
    for mod in ("matplotlib", "torch", "scipy"):   # versions without importing them (torch takes seconds)
        try:
            found[mod] = version(mod)
        except PackageNotFoundError:
            found[mod] = None
    for mod in ("mlp", "datasets", "accuracy"):
        found[f"pyact.{mod}"] = importlib.util.find_spec(f"pyact.{mod}") is not None
    return found


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def cmd_info(args: argparse.Namespace) -> int:
    import pyact as pa
    info = dict(pa.info())
    info["python"] = sys.version.split()[0]
    info["cpu"] = _cpu_name()
    info["activations"] = len(pa.available())
    info["optional"] = _extras()
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    opt = info.pop("optional")
    width = max(map(len, info))
    for k, v in info.items():
        print(f"{k:<{width}}  {', '.join(v) if isinstance(v, list) else v}")
    print(f"{'optional':<{width}}  " + ", ".join(
        f"{k} {'yes' if v is True else v or 'no'}" for k, v in opt.items()))
    return 0


# --- plot --------------------------------------------------------------------------------------
def _plot_module():
    from . import plot
    try:
        plot.require_matplotlib()
    except plot.MissingMatplotlib as e:
        raise UsageError(str(e)) from None
    return plot


def cmd_plot(args: argparse.Namespace) -> int:
    acts = [make_for_plot(n) for n in args.names]
    a, b = args.range
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise UsageError(f"--range needs two finite numbers A < B, got {a:g} {b:g}")
    plot = _plot_module()
    try:
        fig = plot.plot_activations(acts, grad=args.grad, xrange=tuple(args.range), layout=args.layout,
                                    dpi=args.dpi)
    except ValueError as e:
        raise UsageError(str(e)) from None
    _save(plot, fig, args.output)
    return 0


def _check_writable(path: str) -> None:
    """A path that cannot be written, as a UsageError: checked before any long work."""
    d = os.path.dirname(path)
    if d and not os.path.isdir(d):
        raise UsageError(f"cannot write {path}: folder {d} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path}: it is a folder")


def _save(plot, fig, path: str, json_out: bool = False) -> None:
    _check_writable(path)
    try:
        path = plot.save(fig, path)  # the file written (``.png`` added to a bare name)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot write {path}: {e}") from None
    print(f"wrote {path}", file=sys.stderr if json_out else sys.stdout)  # --json: stdout stays JSON


# --- bench -------------------------------------------------------------------------------------
def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench
    import pyact as pa
    names = [parse_activation(n) for n in args.names] if args.names else [(n, {}) for n in pa.available()]
    if args.size < 1:
        raise UsageError(f"--size must be >= 1, got {args.size}")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be >= 1, got {args.threads}")
    if args.repeats < 1:
        raise UsageError(f"--repeats must be >= 1, got {args.repeats}")
    bar = Progress(len(names), "bench")
    try:
        rep = bench.run(names, size=args.size, dtype=args.dtype, threads=args.threads, repeats=args.repeats,
                        target_ns=args.sample_ms * 1e6, with_torch=not args.no_torch,
                        progress=lambda i, n, name: bar.set(i, n, name))
    finally:
        bar.close()
    print(json.dumps(rep.to_dict(), indent=1) if args.json else bench.format_table(rep))
    return 0


# --- accuracy ----------------------------------------------------------------------------------
_ROW_KEYS = ("function", "dtype", "direction", "max_ulp", "worst_x")
_ROW_SYNONYMS = {"name": "function", "kernel": "function", "dir": "direction", "ulp": "max_ulp", "x": "worst_x"}


def _row(r: Any) -> dict:
    """An accuracy row (tuple in the order of _ROW_KEYS, named tuple, dataclass or dict)
    as a dict with those keys first."""
    if hasattr(r, "_asdict"):
        r = dict(r._asdict())
    elif hasattr(r, "__dataclass_fields__"):
        import dataclasses
        r = dataclasses.asdict(r)
    elif not isinstance(r, dict):
        r = dict(zip(_ROW_KEYS, r))
    r = {_ROW_SYNONYMS.get(k, k) if _ROW_SYNONYMS.get(k) not in r else k: v for k, v in r.items()}
    return {k: r.get(k) for k in _ROW_KEYS} | {k: v for k, v in r.items() if k not in _ROW_KEYS}


def cmd_accuracy(args: argparse.Namespace) -> int:
    from .registry import resolve
    names = None
    if args.names:
        try:
            names = [resolve(n) for n in args.names]
        except KeyError as e:
            raise UsageError(e.args[0]) from None
    acc = _need("pyact.accuracy", "pyact accuracy")
    bar = Progress(None, "accuracy (exhaustive)" if args.exhaustive else "accuracy")
    try:
        rows = [_row(r) for r in acc.accuracy_table(names=names, exhaustive=args.exhaustive,
                                                       progress=bar.callback())]
    except (KeyError, ValueError) as e:   # e.g. a name the sweep has no reference for
        raise UsageError(e.args[0] if isinstance(e, KeyError) else str(e)) from None
    finally:
        bar.close()
    if args.json:
        print(json.dumps([{k: _jsonable(v) for k, v in r.items()} for r in rows], indent=1))
        return 0
    def wx(r: dict) -> str:
        v = r["worst_x"]
        if v is None or isinstance(v, str):
            return v or "-"
        return f"{float(v):.9g} ({r.get('worst_x_hex') or float(v).hex()})"

    def ulp(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)
    extra = [k for k in ("bound", "ok", "points") if any(k in r for r in rows)]
    print(_table(["function", "dtype", "direction", "max ULP", *extra, "worst x"], left=3, rows=[
        [r["function"], r["dtype"], r["direction"], ulp(r["max_ulp"]),
         *(("yes" if r.get(k) else "NO") if k == "ok" else f"{r[k]:,}" if k == "points" else ulp(r.get(k))
           for k in extra), wx(r)] for r in rows]))
    missing = sorted(set(names or ()) - {str(r["function"]).split("(")[0] for r in rows})
    if missing:
        print(f"no sweep reference for: {', '.join(missing)}")
    return 0


# --- train / compare ---------------------------------------------------------------------------
def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated layer sizes like 128,64, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {text!r}")
    return sizes


def _positive(kind: type) -> Callable[[str], Any]:
    def conv(text: str) -> Any:
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a positive {kind.__name__}, got {text!r}") from None
        if not v > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
        return v
    conv.__name__ = kind.__name__
    return conv


def _dataset_names() -> tuple[str, ...]:
    try:
        from .datasets import NAMES
        return tuple(NAMES)
    except ImportError:
        return DATASETS


def load_dataset(name: str, seed: int = 0, test_size: float = 0.25):
    """(X_train, y_train, X_test, y_test) of a pyact dataset: a stratified split with the
    given seed, standardised with the training statistics."""
    ds = _need("pyact.datasets", f"the {name} dataset")
    try:
        X, y = ds.load(name)
        Xtr, Xte, ytr, yte = ds.train_test_split(X, y, test_size, stratify=True, seed=seed)
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    except ValueError as e:
        raise UsageError(str(e)) from None
    Xtr, Xte = ds.standardize(Xtr, Xte)
    return Xtr, ytr, Xte, yte


def _history_rows(history: Any) -> list[dict]:
    from .plot import _hist
    return _hist(history)


def _layer_values(epoch: dict, word: str) -> list[float]:
    """Per-hidden-layer values of the history key containing ``word`` (a list under one
    key, or one key per layer)."""
    keys = sorted(k for k in epoch if word in k)
    if len(keys) == 1 and np.ndim(epoch[keys[0]]) > 0:
        return [float(v) for v in np.ravel(epoch[keys[0]])]
    return [float(epoch[k]) for k in keys if np.ndim(epoch[k]) == 0 and epoch[k] is not None]


def _last(rows: list[dict], *keys: str) -> float | None:
    for k in keys:
        if rows and rows[-1].get(k) is not None:
            return float(rows[-1][k])
    return None


def _mlp_class():
    mlp = _need("pyact.mlp", "training")
    if not hasattr(mlp, "MLP"):
        raise UsageError("training needs pyact.mlp.MLP, which this installation lacks")
    return mlp.MLP


def _mlp_kwargs(args: argparse.Namespace, act: Any, verbose: bool) -> dict:
    kw = {"hidden": args.hidden, "activation": act, "epochs": args.epochs, "lr": args.lr,
          "batch_size": args.batch_size, "optimizer": args.optimizer, "seed": args.seed,
          "dtype": getattr(args, "dtype", "float32")}
    accepted = inspect.signature(_mlp_class()).parameters
    if "verbose" in accepted:
        kw["verbose"] = verbose
    return kw


def train_one(args: argparse.Namespace, act_text: str, data, verbose: bool) -> dict:
    """Train one MLP; the numbers a person compares activations by."""
    name, params = parse_activation(act_text)
    act = make(name, params)
    if "seed" in act.params and "seed" not in params:
        # a stochastic activation (rrelu) seeded per layer as pa.MLP seeds it by name, so
        # that --seed decides the whole run
        layer_seed = _need("pyact.mlp", "training")._layer_seed
        act = [make(name, {**params, "seed": layer_seed(args.seed, l)}) for l in range(len(args.hidden))]
    Xtr, ytr, Xte, yte = data
    try:
        model = _mlp_class()(**_mlp_kwargs(args, act, verbose))
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from None
    t0 = time.perf_counter()
    try:
        history = model.fit(Xtr, ytr, validation_data=(Xte, yte))
    except ValueError as e:  # what the arguments ask for does not fit (maxout:pieces=3 on 8 units, ...)
        raise UsageError(f"training with {act_text}: {e}") from None
    seconds = time.perf_counter() - t0
    rows = _history_rows(history)
    return {
        "activation": act_text, "test_accuracy": float(model.score(Xte, yte)),
        "final_loss": _last(rows, "loss", "train_loss"),
        "val_loss": _last(rows, "val_loss", "validation_loss"),
        "seconds": seconds, "epochs": len(rows),
        "dead_fraction": _layer_values(rows[-1], "dead") if rows else [],
        "grad_norm": _layer_values(rows[-1], "grad") if rows else [],
        "history": rows, "model": model,
    }


def _result_table(results: list[dict]) -> str:
    def per_layer(v: list[float], fmt: str) -> str:
        return "/".join(format(x, fmt) for x in v) if v else "-"
    return _table(["activation", "test acc", "final loss", "seconds", "dead units (per layer)", "|grad| layer 1"],
                  [[r["activation"], f"{100 * r['test_accuracy']:.2f}%",
                    "-" if r["final_loss"] is None else f"{r['final_loss']:.4f}", f"{r['seconds']:.2f}",
                    per_layer(r["dead_fraction"], ".1%"),
                    f"{r['grad_norm'][0]:.3g}" if r["grad_norm"] else "-"] for r in results])


def _h(hidden: Sequence[int]) -> str:
    return ",".join(map(str, hidden)) or "none"


def _public(r: dict) -> dict:
    return {k: ([{a: _jsonable(b) if np.ndim(b) == 0 else np.asarray(b).tolist() for a, b in e.items()}
                 for e in v] if k == "history" else v) for k, v in r.items() if k != "model"}


def cmd_train(args: argparse.Namespace) -> int:
    parse_activation(args.activation)        # bad names and paths fail before loading anything
    for path in filter(None, (args.save, args.plot)):
        _check_writable(path)
    plot = _plot_module() if args.plot else None
    data = load_dataset(args.dataset, args.seed, args.test_size)
    r = train_one(args, args.activation, data, verbose=not args.json)
    if args.json:
        print(json.dumps(_public(r), indent=1))
    else:
        print(f"{args.dataset}: {len(data[1])} train / {len(data[3])} test, hidden {_h(args.hidden)}, "
              f"{args.epochs} epochs, {args.optimizer} lr={args.lr:g}, seed {args.seed}")
        print(_result_table([r]))
    if plot:
        _save(plot, plot.plot_history(r["history"], title=f"{args.activation} on {args.dataset}"), args.plot,
              args.json)
    if args.save:
        try:
            r["model"].save(args.save)
        except OSError as e:
            raise UsageError(f"cannot write {args.save}: {e.strerror or e}") from None
        print(f"wrote {args.save}", file=sys.stderr if args.json else sys.stdout)  # --json: stdout stays JSON
    return 0


def compare(args: argparse.Namespace, names: list[str]) -> list[dict]:
    """Train one MLP per activation on the same split with the same seed."""
    data = load_dataset(args.dataset, args.seed, args.test_size)
    bar = Progress(len(names), "compare")
    results = []
    try:
        for i, n in enumerate(names):
            bar.set(i, len(names), n)
            results.append(train_one(args, n, data, verbose=False))
    finally:
        bar.close()
    return results


def cmd_compare(args: argparse.Namespace) -> int:
    names = _split_list(args.activations)
    if not names:
        raise UsageError("--activations needs at least one name, e.g. relu,gelu,tanh")
    for n in names:
        parse_activation(n)
    if args.plot:
        _check_writable(args.plot)
    plot = _plot_module() if args.plot else None
    results = compare(args, names)
    if args.json:
        print(json.dumps([_public(r) for r in results], indent=1))
    else:
        print(f"{args.dataset}: hidden {_h(args.hidden)}, {args.epochs} epochs, {args.optimizer} lr={args.lr:g}, "
              f"batch {args.batch_size}, seed {args.seed} (same split and initial seed for every activation)")
        print(_result_table(results))
    if plot:
        fig = plot.plot_compare({r["activation"]: r["history"] for r in results},
                                title=f"{args.dataset}: hidden {_h(args.hidden)}, {args.optimizer}, seed {args.seed}")
        _save(plot, fig, args.plot, args.json)
    return 0


# --- demo --------------------------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    import pyact as pa
    t0 = time.perf_counter()
    out_dir = args.out
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create {out_dir}: {e}") from None

    def head(text: str) -> None:
        print(f"\n== {text} " + "=" * max(0, 76 - len(text)), flush=True)

    info = pa.info()
    head("pyact: fast, exact activation functions for NumPy")
    print(f"pyact {info['version']} on {_cpu_name()}: ISA {info['isa']} (compiled: "
          f"{', '.join(info['isas_compiled'])}; this CPU: {', '.join(info['isas_supported'])}), "
          f"OpenMP {'on' if info['openmp'] else 'off'}, {info['num_threads']} threads, NumPy {info['numpy']}")
    names = pa.available()
    print(f"{len(names)} activations: {', '.join(names)}")

    x = np.linspace(-3, 3, 7).astype(np.float32)
    head("one function per activation, forward and backward")
    shown = [n for n in ("gelu", "swish", "relu", "leaky_relu") if n in names][:2] or names[:2]
    lines = [("x", x)]
    for n in shown:
        lines += [(f"pa.{n}(x)", getattr(pa, n)(x)), (f"pa.grad({n!r}, ones, x=x)", pa.grad(n, np.ones_like(x), x=x))]
    w = max(len(k) for k, _ in lines)
    for k, v in lines:
        print(f"{k:<{w}} = {np.array2string(v, precision=3, suppress_small=True)}")

    from . import bench
    head("speed, one thread each: pyact vs the NumPy expression (and PyTorch when installed)")
    bnames = [(n, {}) for n in BENCH_DEMO if n in names]
    bar = Progress(len(bnames), "bench")
    try:
        rep = bench.run(bnames, size=args.bench_size, threads=1, repeats=3, target_ns=1e6,
                        progress=lambda i, n, name: bar.set(i, n, name))
    finally:
        bar.close()
    print(bench.format_table(rep))

    results: list[dict] = []
    head(f"what the activation does to learning: an MLP on digits per activation")
    cnames = [n for n in COMPARE_DEFAULT.split(",") if n in names] or [n for n in names if n != "linear"][:4]
    try:
        ns = argparse.Namespace(dataset="digits", hidden=(64,), epochs=args.epochs, lr=3e-3, batch_size=64,
                                optimizer="adam", seed=0, test_size=0.25)
        results = compare(ns, cnames)
        print(f"digits (1,797 8x8 images), hidden 64, {args.epochs} epochs, Adam, same seed and split for all")
        print(_result_table(results))
    except UsageError as e:
        print(f"skipped: {e}")

    head("pictures")
    where = "no pictures (see above)"
    try:
        plot = _plot_module()
        gallery = [make_for_plot(n) for n in cnames + [n for n in ("leaky_relu", "mish", "softplus", "hard_swish")
                                               if n in names and n not in cnames]][:8]
        _save(plot, plot.plot_activations(gallery, grad=True, layout="grid"),
              os.path.join(out_dir, "activations.png"))
        if results:
            _save(plot, plot.plot_compare({r["activation"]: r["history"] for r in results},
                                          title="digits: training loss and validation accuracy"),
                  os.path.join(out_dir, "compare.png"))
        where = f"pictures in {out_dir}/"
    except UsageError as e:
        print(f"skipped: {e}")
    print(f"\ndone in {time.perf_counter() - t0:.1f} s; {where}. Next: pyact --help")
    return 0


# --- the parser --------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, with a bad argument reported as one line (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see {self.prog} --help)", prog=self.prog)


def _train_options(p: argparse.ArgumentParser, epochs: int) -> None:
    names = _dataset_names()
    p.add_argument("--dataset", required=True, choices=names, metavar="D", help=f"one of {', '.join(names)}")
    p.add_argument("--hidden", type=_hidden, default=(128, 64), metavar="128,64",
                   help="hidden layer sizes (default 128,64)")
    p.add_argument("--epochs", type=_positive(int), default=epochs, metavar="N", help=f"default {epochs}")
    p.add_argument("--lr", type=_positive(float), default=1e-3, help="learning rate (default 1e-3)")
    p.add_argument("--batch-size", type=_positive(int), default=64, metavar="B", help="default 64")
    p.add_argument("--optimizer", default="adam", choices=("adam", "sgd"), help="default adam")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="parameters and arithmetic")
    p.add_argument("--seed", type=int, default=0, help="initial weights and split (default 0)")
    p.add_argument("--test-size", type=float, default=0.25, metavar="F",
                   help="held-out fraction, stratified (default 0.25)")
    p.add_argument("--json", action="store_true", help="machine-readable results")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pyact", description="pyact: fast, exact neural-network activation functions.",
                     epilog="Each command has --help. Start with: pyact demo")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    act_help = "activation names, optionally with parameters: leaky_relu:negative_slope=0.2"

    p = sub.add_parser("list", help="every activation with aliases, parameters, y-ok, learnable",
                       description="Every activation with its aliases, parameters and defaults, whether backward "
                                   "can run from the output (y-ok), and its learnable parameters.")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="machine-readable")
    g.add_argument("--markdown", action="store_true", help="the README table")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="version, ISA, OpenMP, threads, NumPy",
                       description="Version, the ISA in use, the ISAs compiled and supported, OpenMP and threads, "
                                   "NumPy and the optional extras.")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("plot", help="function and derivative curves to a PNG",
                       description="Draw activations (and with --grad their derivatives, dashed) to an image. "
                                   "Needs matplotlib: pip install 'pyact[plot]'.")
    p.add_argument("names", nargs="+", metavar="NAME", help=act_help)
    p.add_argument("--grad", action="store_true", help="also draw the derivatives (dashed)")
    p.add_argument("--range", nargs=2, type=float, default=(-5.0, 5.0), metavar=("A", "B"),
                   help="x range (default -5 5)")
    p.add_argument("--layout", choices=("auto", "single", "grid"), default="auto",
                   help="one panel, one panel per activation, or auto (grid above 3)")
    p.add_argument("--dpi", type=_positive(int), default=100, help="pixels per inch (default 100)")
    p.add_argument("-o", "--output", default="activations.png", metavar="FILE.png",
                   help="where to write (default activations.png)")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("bench", help="ns/element and GB/s: pyact vs NumPy (vs PyTorch)",
                       description="Forward and backward ns/element and GB/s for pyact, the NumPy expression a "
                                   "user would write, and PyTorch when installed, side by side, interleaved, "
                                   "median of repeats, with the streaming memory bandwidth measured in the same run.")
    p.add_argument("names", nargs="*", metavar="NAME", help=act_help + " (default: all)")
    p.add_argument("--size", type=int, default=1 << 20, metavar="N", help="elements (default 1048576)")
    p.add_argument("--threads", type=int, default=None, metavar="T", help="default: pyact's current setting")
    p.add_argument("--dtype", choices=("float32", "float64", "float16"), default="float32")
    p.add_argument("--repeats", type=int, default=5, help="rounds; the median is reported (default 5)")
    p.add_argument("--sample-ms", type=_positive(float), default=2.0, help="length of one sample (default 2 ms)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even when installed")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("accuracy", help="max-ULP table against float64 references",
                       description="Measured max ULP error per function, dtype and direction against a float64 "
                                   "reference (sampled; --exhaustive: every float32).")
    p.add_argument("names", nargs="*", metavar="NAME", help="activation names (default: all)")
    p.add_argument("--exhaustive", action="store_true", help="every float32 input (minutes)")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(func=cmd_accuracy)

    p = sub.add_parser("train", help="train an MLP on a dataset with one activation",
                       description="Train pa.MLP on a dataset (stratified split, standardised) and report the "
                                   "test accuracy, loss, dead units and gradient norms.")
    _train_options(p, epochs=20)
    p.add_argument("--activation", required=True, metavar="A", help=act_help)
    p.add_argument("--plot", metavar="FILE.png", help="write loss and accuracy curves")
    p.add_argument("--save", metavar="FILE.npz", help="save the trained model")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("compare", help="one MLP per activation, same seed and split: a table",
                       description="Train one MLP per activation with the same seed, split and initialisation "
                                   "seed; print test accuracy, final loss, seconds, dead-unit fraction and the "
                                   "first layer's gradient norm; optionally plot the loss curves together.")
    _train_options(p, epochs=20)
    p.add_argument("--activations", default=COMPARE_DEFAULT, metavar="A,B,...",
                   help=f"comma-separated (default {COMPARE_DEFAULT}); parameters as NAME:param=value")
    p.add_argument("--plot", metavar="FILE.png", help="write the loss and accuracy curves of all runs")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("demo", help="a one-minute tour: info, speed, learning, pictures",
                       description="A short tour: info, a small bench table, a compare on digits, and plots "
                                   "written to a folder.")
    p.add_argument("--out", default="pyact-demo", metavar="DIR", help="folder for the pictures (default pyact-demo)")
    p.add_argument("--epochs", type=_positive(int), default=15, help="epochs of the digits comparison (default 15)")
    p.add_argument("--bench-size", type=_positive(int), default=1 << 18, metavar="N",
                   help="elements in the speed table (default 262144)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pyact`` command; returns the exit status."""
    parser = build_parser()
    prog = "pyact"
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        prog = f"pyact {args.command}"
        return int(args.func(args) or 0)
    except UsageError as e:
        print(f"{e.prog or prog}: error: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:      # --help
        return e.code if isinstance(e.code, int) else 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:      # pyact list | head
        sys.stderr.close()
        return 0
