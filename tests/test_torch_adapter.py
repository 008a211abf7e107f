"""pyact.torch: autograd Functions and nn.Modules for every catalog activation, checked
by torch.autograd.gradcheck (float64 finite differences), against PyTorch's own modules
where they exist, for zero-copy, and for training learnable parameters with torch.optim."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from pyact import _catalog

from conftest import example_params

torch = pytest.importorskip("torch")
pat = pytest.importorskip("pyact.torch")

NAMES = [a.name for a in _catalog.CATALOG if a.name in pat.MODULES]


def _x(shape=(3, 4, 6), dtype=torch.float64, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=dtype) * 3
    return x


def _module(name: str, dtype=torch.float64) -> torch.nn.Module:
    return pat.MODULES[name](**example_params(_catalog.by_name(name))).to(dtype)


def test_every_catalog_activation_has_a_module_and_function():
    assert set(NAMES) == {a.name for a in _catalog.CATALOG if a.name in pa.activations.CLASSES}
    for act in _catalog.CATALOG:
        if act.name in pat.MODULES:
            assert getattr(pat, act.cls) is pat.MODULES[act.name]
            assert callable(getattr(pat, act.name))


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name):
    m = _module(name)
    x = _x(seed=1).requires_grad_(True)
    # Keep samples off the kinks (0, thresholds, clip edges) by more than the FD step.
    with torch.no_grad():
        x += 1e-3 * torch.sign(x)
    m.eval()
    inputs = (x, *m.parameters())
    for p in m.parameters():
        p.requires_grad_(True)

    def f(x, *weights):  # the module's own parameters are these weights, perturbed in place
        return m(x)

    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_matches_pyact_numpy_path(name, dtype):
    m = _module(name, dtype).eval()
    x = _x((2, 3, 8), dtype).requires_grad_(True)  # even last axis: glu, maxout
    y = m(x)
    assert y.dtype == dtype
    xn = x.detach().numpy()
    act = m.act
    want = act(xn)
    np.testing.assert_array_equal(y.detach().numpy(), want)
    g = torch.cos(y.detach())
    y.backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), act.backward(g.numpy(), x=xn))


TORCH_NAMED = [a for a in _catalog.CATALOG if a.torch and a.name in pat.MODULES and a.family == "elementwise"]


@pytest.mark.parametrize("act", TORCH_NAMED, ids=lambda a: a.name)
def test_agrees_with_torch_functional(act):
    F = torch.nn.functional
    params = example_params(act)
    x = _x((4, 33), torch.float64, seed=3).requires_grad_(True)
    x2 = x.detach().clone().requires_grad_(True)
    ours = pat.FUNCTIONS[act.name](x, **params)
    theirs = getattr(F, act.torch)(x2, *params.values())
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    # (PyTorch's hardsigmoid backward uses 1/6 rounded to float32 even in float64.)
    torch.testing.assert_close(x.grad, x2.grad, rtol=1e-7, atol=1e-12)


@pytest.mark.skipif("prelu" not in NAMES, reason="no prelu in this build")
def test_prelu_module_trains_like_torch_prelu():
    torch.manual_seed(0)
    x = _x((8, 3, 5), torch.float64, seed=6)
    ours, theirs = pat.PReLU(num_parameters=3).double(), torch.nn.PReLU(num_parameters=3).double()
    for m in (ours, theirs):
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            (m(x) ** 2).mean().backward()
            opt.step()
    torch.testing.assert_close(ours.alpha, theirs.weight, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-12, atol=1e-12)


@pytest.mark.skipif("rrelu" not in NAMES, reason="no rrelu in this build")
def test_rrelu_modes():
    x = _x((4, 50), torch.float64, seed=9).requires_grad_(True)
    m = pat.RReLU(seed=5)
    torch.testing.assert_close(m.eval()(x), torch.nn.functional.rrelu(x, training=False), rtol=1e-12, atol=0)
    m.train()
    y1, y2 = m(x), m(x)  # a new draw each training forward ...
    assert not torch.equal(y1, y2)
    (g1,) = torch.autograd.grad(y1.sum(), x)  # ... and each backward replays its own forward
    slope1 = torch.where(x < 0, y1 / x, torch.ones_like(x)).detach()
    torch.testing.assert_close(g1, slope1, rtol=1e-12, atol=1e-12)


def test_zero_copy_views():
    x = torch.linspace(-3, 3, 1000, dtype=torch.float32)
    seen = {}
    act = pa.get("relu6")
    orig = type(act).__call__

    class Spy(type(act)):
        def __call__(self, a, *, out=None):
            seen["ptr"] = a.__array_interface__["data"][0]
            r = orig(self, a, out=out)
            seen["out"] = r.__array_interface__["data"][0]
            return r

    spy = Spy()
    y = pat.apply(spy, x)
    assert seen["ptr"] == x.data_ptr()  # the kernel read the tensor's own memory
    assert seen["out"] == y.data_ptr()  # and the result tensor wraps the kernel's output


def test_strided_and_noncontiguous_tensors():
    x = _x((6, 8), torch.float32).t()[::2]
    np.testing.assert_array_equal(pat.softsign(x).numpy(), pa.softsign(np.ascontiguousarray(x.numpy())))


def test_errors():
    with pytest.raises(TypeError, match="dtype"):
        pat.relu(torch.arange(4))
    with pytest.raises(TypeError, match="torch.Tensor"):
        pat.apply("relu", np.ones(3))
    with pytest.raises(ValueError, match="b"):
        pat.Squareplus(b=-1.0)
    with pytest.raises(TypeError, match="negative_slope"):
        pat.LeakyReLU(negative_slop=0.1)


def test_module_repr_and_state_dict():
    m = pat.LeakyReLU(negative_slope=0.2)
    assert "negative_slope=0.2" in repr(m)
    assert isinstance(m, torch.nn.Module)


LEARNABLE = [n for n in NAMES if pa.get(n, **example_params(_catalog.by_name(n))).learnable]


@pytest.mark.parametrize("name", LEARNABLE)
def test_learnable_parameters_train_with_torch_optim(name):
    torch.manual_seed(0)
    m = _module(name, torch.float64)
    params = list(m.parameters())
    assert [n for n, _ in m.named_parameters()] == list(m.act.learnable)
    before = [p.detach().clone() for p in params]
    opt = torch.optim.SGD(params, lr=0.05)
    x = _x((16, 4), torch.float64, seed=2)
    target = torch.tanh(x) * 1.5
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((m(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert any(not torch.equal(b, p) for b, p in zip(before, params))


class _ToyPReLU(pa.Activation):
    """A learnable activation written here in NumPy (independent of pyact's kernels), to
    check the adapter's parameter path even before any learnable family is in the catalog."""

    learnable = ("alpha",)

    def __init__(self, alpha=0.25):
        self._params = {"alpha": np.asarray(alpha, dtype=np.float64)}
        self.grads = {}

    @property
    def name(self):
        return "toy_prelu"

    @property
    def y_ok(self):
        return False

    def _forward(self, x, out):
        a = self._params["alpha"].astype(x.dtype)
        return np.where(x > 0, x, a * x)

    def _backward(self, g, x, from_y, out):
        a = self._params["alpha"].astype(x.dtype)
        self.grads = {"alpha": np.asarray((g * np.where(x > 0, 0, x)).sum(axis=0))}
        return g * np.where(x > 0, 1, a)


def test_learnable_path_gradcheck_and_optimiser():
    alpha = torch.nn.Parameter(torch.full((5,), 0.25, dtype=torch.float64))
    x = _x((7, 5), seed=4)
    x[0] = -1.0  # every channel sees a negative input
    x = (x + 1e-3 * torch.sign(x)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, a: pat.apply(_ToyPReLU(), x, a), (x, alpha))
    opt = torch.optim.Adam([alpha], lr=0.1)
    target = torch.where(x > 0, x, -0.5 * x).detach()
    for _ in range(60):
        opt.zero_grad()
        loss = ((pat.apply(_ToyPReLU(), x.detach(), alpha) - target) ** 2).mean()
        loss.backward()
        opt.step()
    torch.testing.assert_close(alpha.detach(), torch.full((5,), -0.5, dtype=torch.float64), atol=0.05, rtol=0)


def test_modules_take_positional_arguments_like_pyact_and_torch():
    # The catalog's (PyTorch's) order, as pa.<Class> and torch.nn.<Class> take them.
    assert pat.LeakyReLU(0.1).act == pa.LeakyReLU(0.1)
    assert pat.Hardtanh(-2.0, 3.0).act == pa.Hardtanh(min_val=-2.0, max_val=3.0)
    m = pat.PReLU(3)
    assert m.alpha.shape == torch.nn.PReLU(3).weight.shape == (3,)
    assert pat.PReLU(3, 0.1).alpha.tolist() == pytest.approx([0.1] * 3)
    with pytest.raises(TypeError, match="positional"):
        pat.LeakyReLU(0.1, 0.2)
    with pytest.raises(TypeError, match="negative_slope"):
        pat.LeakyReLU(0.1, negative_slope=0.2)


def test_non_tensor_input_is_a_clear_type_error():
    x = np.ones(3)
    for call in (lambda: pat.gelu(x), lambda: pat.GELU()(x), lambda: pat.PReLU()(x), lambda: pat.apply("relu", x)):
        with pytest.raises(TypeError, match=r"expects a torch\.Tensor, got numpy\.ndarray"):
            call()
    with pytest.raises(TypeError, match=r"got list"):
        pat.relu([1.0, 2.0])


def test_apply_checks_the_number_of_parameter_tensors():
    x = _x((2, 3, 4)).requires_grad_(True)
    w = torch.ones(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(TypeError, match=r"gelu has no learnable parameters.*got 1"):
        pat.apply("gelu", x, w)  # (it used to run, and fail only in backward)
    with pytest.raises(TypeError, match=r"srelu takes 4 parameter tensors \(t_left, a_left, t_right, a_right\)"):
        pat.apply(pa.SReLU(3), x, w)
    with pytest.raises(TypeError, match=r"parameter 'alpha' must be a torch\.Tensor, got float"):
        pat.apply(pa.PReLU(), x, 0.5)
    pat.apply(pa.PReLU(3), x, w).sum().backward()  # all of them, or none
    pat.apply(pa.PReLU(3), x).sum().backward()
    assert w.grad is not None


def _leaf(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def test_prelu_function_takes_its_weight_like_pa_and_torch():
    F = torch.nn.functional
    x = _x((4, 3, 5), seed=7).requires_grad_(True)
    for w in (_leaf([0.1, -0.2, 0.3]), _leaf([0.2])):  # per channel (dim 1), shared
        x.grad = None
        x2, w2 = x.detach().clone().requires_grad_(True), w.detach().clone().requires_grad_(True)
        ours, theirs = pat.prelu(x, w), F.prelu(x2, w2)
        assert torch.equal(ours, pat.prelu(x, alpha=w))  # positionally and by name, as pa.prelu
        np.testing.assert_array_equal(ours.detach().numpy(), pa.prelu(x.detach().numpy(), w.detach().numpy()))
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
        g = torch.cos(theirs.detach())
        ours.backward(g)
        theirs.backward(g)
        torch.testing.assert_close(x.grad, x2.grad, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(w.grad, w2.grad, rtol=1e-12, atol=1e-12)
    # Numbers and arrays are constants, as in pa.prelu; the defaults are pa's.
    xn = x.detach().numpy()
    np.testing.assert_array_equal(pat.prelu(x, 0.1).detach().numpy(), pa.prelu(xn, 0.1))
    np.testing.assert_array_equal(pat.prelu(x.detach()).numpy(), pa.prelu(xn))
    np.testing.assert_array_equal(pat.prelu(x.transpose(0, 1), np.array([0.5, 0.6, 0.7, 0.8]), axis=1).detach().numpy(),
                                  pa.prelu(xn.transpose(1, 0, 2), np.array([0.5, 0.6, 0.7, 0.8]), axis=1))


def _learnable_calls():
    """(name, function of (x, *tensors), tensors, pa's function of (xn, *arrays)) for the
    functional forms with parameters, positional and by name, tensors of several shapes."""
    return [
        ("prelu", lambda x, a: pat.prelu(x, a), [_leaf([0.1, -0.2, 0.3])], lambda x, a: pa.prelu(x, a)),
        ("prelu_0d", lambda x, a: pat.prelu(x, alpha=a), [_leaf(0.2)], lambda x, a: pa.prelu(x, alpha=a)),
        ("srelu", lambda x, tl, al, tr: pat.srelu(x, tl, al, tr, 1.5),
         [_leaf([-0.5, -1.0, 0.1]), _leaf(0.2), _leaf([0.8, 1.2, 2.0])],
         lambda x, tl, al, tr: pa.srelu(x, tl, al, tr, 1.5)),
        ("srelu_axis", lambda x, ar: pat.srelu(x, a_right=ar, axis=2), [_leaf([0.5, 1.5, 2.0, 0.7, 1.1])],
         lambda x, ar: pa.srelu(x, a_right=ar, axis=2)),
        ("apl", lambda x, a, b: pat.apl(x, a, b), [_leaf([[0.1, 0.2, 0.3], [-0.3, 0.4, 0.5]]), _leaf([-1.0, 0.5])],
         lambda x, a, b: pa.apl(x, a, b)),
        ("apl_b", lambda x, b: pat.apl(x, b=b), [_leaf([-1.0, 0.0, 1.0])], lambda x, b: pa.apl(x, b=b)),
        ("swish", lambda x, beta: pat.swish(x, beta=beta), [_leaf([0.5, 1.0, 2.0])],
         lambda x, beta: pa.swish(x, beta=beta)),
        ("swish_shared", lambda x, beta: pat.swish(x, beta=beta), [_leaf(1.5)],
         lambda x, beta: pa.swish(x, beta=np.full(1, beta))),
    ]


@pytest.mark.parametrize("case", _learnable_calls(), ids=lambda c: c[0])
def test_learnable_functions_differentiate_their_parameter_tensors(case):
    _, fn, tensors, pa_fn = case
    x = _x((4, 3, 5), seed=8)
    x = (x + 1e-3 * torch.sign(x)).requires_grad_(True)
    y = fn(x, *tensors)
    np.testing.assert_array_equal(y.detach().numpy(),
                                  pa_fn(x.detach().numpy(), *(t.detach().numpy() for t in tensors)))
    y.sum().backward()
    assert all(t.grad is not None and t.grad.shape == t.shape for t in tensors)
    assert torch.autograd.gradcheck(fn, (x, *tensors), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_swish_beta_tensor_trains_like_torch():
    x = _x((4, 3, 5), seed=10)
    beta = _leaf([0.5, 1.0, 2.0])
    beta2 = beta.detach().clone().requires_grad_(True)
    pat.swish(x, beta=beta).sum().backward()
    (x * torch.sigmoid(beta2.view(1, 3, 1) * x)).sum().backward()
    torch.testing.assert_close(beta.grad, beta2.grad, rtol=1e-10, atol=1e-12)
    # Not a tensor: a constant, as pa.swish; a float beta keeps the elementwise kernel.
    np.testing.assert_array_equal(pat.swish(x, beta=2.0).numpy(), pa.swish(x.numpy(), beta=2.0))
    with pytest.raises(TypeError, match="num_parameters"):
        pat.swish(x, beta=beta, num_parameters=3)


def test_learnable_function_errors():
    x = _x((4, 3, 5))
    with pytest.raises(ValueError, match="alpha has 2 values"):
        pat.prelu(x, _leaf([0.1, 0.2]))
    with pytest.raises(TypeError, match="dtype"):
        pat.prelu(x, torch.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match="init"):
        pat.prelu(x, init=0.1)  # the class's constructor argument; the function takes alpha, as pa.prelu
    with pytest.raises(TypeError, match=r"expects a torch\.Tensor"):
        pat.srelu(np.ones((2, 3)))


@pytest.mark.skipif("rrelu" not in NAMES, reason="no rrelu in this build")
def test_rrelu_function_takes_pa_rrelus_arguments():
    x = _x((4, 50), seed=11)
    xn = x.numpy()
    np.testing.assert_array_equal(pat.rrelu(x, 0.1, 0.3).numpy(), pa.rrelu(xn, 0.1, 0.3))
    np.testing.assert_array_equal(pat.rrelu(x, 0.1, 0.3, True, 7).numpy(), pa.rrelu(xn, 0.1, 0.3, True, 7))
    np.testing.assert_array_equal(pat.rrelu(x, training=True, seed=7).numpy(), pa.rrelu(xn, training=True, seed=7))


def test_double_backward_raises_instead_of_dropping_the_second_order_term():
    x = _x((5, 3), seed=12).requires_grad_(True)
    (g,) = torch.autograd.grad(pat.gelu(x).sum(), x, create_graph=True)
    torch.testing.assert_close(g.detach(), torch.autograd.grad(torch.nn.functional.gelu(x).sum(), x)[0])
    assert g.requires_grad  # was False: g.sum() would have had no term from d2y/dx2
    with pytest.raises(RuntimeError, match="double backward"):
        g.sum().backward()
    loss = pat.gelu(x).sum() + (g ** 2).sum()  # a gradient penalty: by x, not only by .backward()
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.grad(loss, x)
    w = _leaf([0.1, 0.2, 0.3])
    (gw,) = torch.autograd.grad(pat.prelu(x, w).sum(), w, create_graph=True)
    with pytest.raises(RuntimeError, match="double backward"):
        gw.sum().backward()
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.gradgradcheck(lambda x: pat.softplus(x), (x,))
    # Without create_graph, the first-order gradient is a plain tensor.
    (g1,) = torch.autograd.grad(pat.gelu(x).sum(), x)
    assert not g1.requires_grad


def test_aliases_are_functions_too():
    for act in _catalog.CATALOG:
        for alias in act.aliases:
            if act.name in pat.FUNCTIONS:
                assert getattr(pat, alias) is pat.FUNCTIONS[act.name], alias
    x = torch.linspace(-4, 4, 9, dtype=torch.float64)
    torch.testing.assert_close(pat.silu(x), torch.nn.functional.silu(x), rtol=1e-15, atol=0)
