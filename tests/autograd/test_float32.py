"""float32 stays float32: through every op's forward, its own backward, and into the leaves."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F

rng = np.random.default_rng(0)
MATRIX = rng.uniform(0.5, 1.5, size=(3, 4))
LABELS = np.array([0, 3, 1])
PROBABILITIES = rng.dirichlet(np.ones(4), size=3)
TARGETS = rng.uniform(0.1, 0.9, size=(3, 4))

# Each op takes float32 leaves built from MATRIX (and a second from MATRIX.T where it needs one).
OPS = [
    pytest.param(lambda x: x + 1, id="add-scalar"),
    pytest.param(lambda x: x + x.T.T, id="add"),
    pytest.param(lambda x: 2.5 - x, id="rsub"),
    pytest.param(lambda x: x * 0.1, id="mul-scalar"),
    pytest.param(lambda x: x * x[0], id="mul-broadcast"),
    pytest.param(lambda x: x / 3, id="div-scalar"),
    pytest.param(lambda x: 1.0 / x, id="rdiv"),
    pytest.param(lambda x: x**2, id="pow-2"),
    pytest.param(lambda x: x**1.5, id="pow-float"),
    pytest.param(lambda x: x ** x, id="pow-tensor"),
    pytest.param(lambda x: 2.0**x, id="rpow"),
    pytest.param(lambda x: -x, id="neg"),
    pytest.param(lambda x: x @ x.T, id="matmul"),
    pytest.param(lambda x: x[0] @ x.T, id="matmul-vector"),
    pytest.param(lambda x: x[0] @ x[1], id="matmul-vector-vector"),
    pytest.param(lambda x: x.sum(axis=1), id="sum"),
    pytest.param(lambda x: x.mean(), id="mean"),
    pytest.param(lambda x: x.max(axis=0, keepdims=True), id="max"),
    pytest.param(lambda x: x.min(axis=(0, 1)), id="min"),
    pytest.param(lambda x: x.reshape(4, 3), id="reshape"),
    pytest.param(lambda x: x.T, id="transpose"),
    pytest.param(lambda x: x[[0, 0, 2], 1:], id="getitem"),
    pytest.param(lambda x: gn.concatenate([x, x], axis=1), id="concatenate"),
    pytest.param(lambda x: gn.stack([x, x]), id="stack"),
    pytest.param(lambda x: gn.where(x > 1.0, x, 0.0), id="where"),
    pytest.param(lambda x: x.clip(0.7, 1.2), id="clip"),
    pytest.param(lambda x: x.abs(), id="abs"),
    pytest.param(lambda x: x.exp(), id="exp"),
    pytest.param(lambda x: x.log(), id="log"),
    pytest.param(lambda x: x.sqrt(), id="sqrt"),
    pytest.param(lambda x: x.tanh(), id="tanh"),
    pytest.param(lambda x: x.sigmoid(), id="sigmoid"),
    pytest.param(lambda x: x.relu(), id="relu"),
    pytest.param(lambda x: x.astype(np.float64).astype(np.float32), id="astype-round-trip"),
    pytest.param(lambda x: F.relu(x), id="F.relu"),
    pytest.param(lambda x: F.leaky_relu(x - 1.0, 0.1), id="F.leaky_relu"),
    pytest.param(lambda x: F.sigmoid(x), id="F.sigmoid"),
    pytest.param(lambda x: F.tanh(x), id="F.tanh"),
    pytest.param(lambda x: F.gelu(x), id="F.gelu"),
    pytest.param(lambda x: F.gelu(x, approximate="tanh"), id="F.gelu-tanh"),
    pytest.param(lambda x: F.softplus(x), id="F.softplus"),
    pytest.param(lambda x: F.softmax(x, axis=1), id="F.softmax"),
    pytest.param(lambda x: F.log_softmax(x, axis=0), id="F.log_softmax"),
    pytest.param(lambda x: F.logsumexp(x, axis=1), id="F.logsumexp"),
    pytest.param(lambda x: F.linear(x, x[:2], x[0, :2]), id="F.linear"),
    pytest.param(lambda x: F.dropout(x, 0.5), id="F.dropout"),
    pytest.param(lambda x: F.dropout(x, 1.0), id="F.dropout-p1"),
    pytest.param(lambda x: F.mse_loss(x, TARGETS), id="F.mse_loss"),
    pytest.param(lambda x: F.l1_loss(x, TARGETS, reduction="sum"), id="F.l1_loss"),
    pytest.param(lambda x: F.huber_loss(x, TARGETS, reduction="none"), id="F.huber_loss"),
    pytest.param(lambda x: F.binary_cross_entropy(x / 2.0, TARGETS), id="F.binary_cross_entropy"),
    pytest.param(lambda x: F.binary_cross_entropy_with_logits(x, TARGETS), id="F.bce_with_logits"),
    pytest.param(lambda x: F.cross_entropy(x, LABELS), id="F.cross_entropy-indices"),
    pytest.param(
        lambda x: F.cross_entropy(x, PROBABILITIES, label_smoothing=0.1), id="F.cross_entropy-probs"
    ),
    pytest.param(
        lambda x: F.cross_entropy(x, LABELS, reduction="none", label_smoothing=0.2),
        id="F.cross_entropy-smoothing",
    ),
    pytest.param(lambda x: F.nll_loss(F.log_softmax(x), LABELS), id="F.nll_loss"),
]


@pytest.mark.parametrize("op", OPS)
def test_float32_in_float32_out_and_float32_gradients(op):
    x = gn.tensor(MATRIX, requires_grad=True)
    assert x.dtype == np.float32
    out = op(x)
    assert out.dtype == np.float32
    # The last node's own backward, before the engine could cast anything, gives each input a
    # gradient of that input's dtype:
    node = out.grad_fn
    own_grads = node.backward(np.ones(out.shape, dtype=np.float32))
    for node_input, grad in zip(node.inputs, own_grads, strict=False):
        assert grad is None or np.asarray(grad).dtype == node_input.dtype
    out.sum().backward()
    assert x.grad.dtype == np.float32
    assert np.all(np.isfinite(x.grad))
