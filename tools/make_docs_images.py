"""Render the README's pictures: docs/gallery.png (activations and derivatives) and
docs/compare.png (one MLP per activation on digits, same seed and split).

    python tools/make_docs_images.py            # both (the comparison trains 6 MLPs: ~1 min)
    python tools/make_docs_images.py --gallery  # only the gallery

Run after merging new activations so the pictures show them. Needs matplotlib.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ("relu", "leaky_relu", "elu", "selu", "gelu", "swish", "mish", "softplus",
           "sigmoid", "tanh", "hard_swish", "squareplus")
COMPARE = "relu,gelu,tanh,sigmoid,selu,swish"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gallery", action="store_true", help="only docs/gallery.png")
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    import pyact as pa
    from pyact import cli, plot
    from pyact.registry import spec_of

    names = pa.available()
    elementwise = [n for n in names if spec_of(n) is not None and spec_of(n).family != "axis"]
    chosen = [n for n in GALLERY if n in names]
    chosen += [n for n in elementwise if n not in chosen][:12 - len(chosen)]
    fig = plot.plot_activations([cli.make_for_plot(n) for n in chosen], grad=True, layout="grid",
                                title="pyact activations (solid) and their derivatives (dashed)")
    print("wrote", plot.save(fig, str(ROOT / "docs" / "gallery.png")))
    if args.gallery:
        return 0
    return cli.main(["compare", "--dataset", "digits", "--activations",
                     ",".join(n for n in COMPARE.split(",") if n in names), "--epochs", str(args.epochs),
                     "--plot", str(ROOT / "docs" / "compare.png")])


if __name__ == "__main__":
    raise SystemExit(main())
