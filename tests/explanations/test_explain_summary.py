"""gn.explain on a whole tensor: what the summary says about broken networks, what it refuses,
and the work it does (counted in backward calls)."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F

F64 = np.float64


def test_dead_relu_units_are_counted_and_the_zero_factor_is_named(make_mlp):
    mlp = make_mlp([6, 8, 5, 3], "relu", "mse", seed=1, bias_shift=-1.5)
    explanation = gn.explain(mlp.loss, mlp.W[0])
    text = str(explanation)
    middle = explanation.layers[1]
    dead = (mlp.pre[1] <= 0).all(axis=0)
    assert middle.number == 2 and middle.activation.units_zero == dead.sum() == 5
    assert "ReLU′ = 0 for 5 of 5 units on every sample" in text
    assert middle.activation_gain == 0
    # a gain of 0 stops the gradient: it outranks any factor that only scales it
    assert explanation.strongest == ("ReLU′ at layer 2", 0.0)
    assert text.endswith("the factor farthest from 1: ReLU′ at layer 2 (× 0)")
    assert explanation.gradient.rms == 0 == explanation.gradient.max_abs


def test_saturated_sigmoid_units_are_counted_with_their_mean_slope(make_mlp):
    mlp = make_mlp([6, 8, 3], "sigmoid", "mse", seed=1, scale=1000.0)
    explanation = gn.explain(mlp.loss, mlp.W[0])
    slopes = explanation.layers[1].activation
    by_hand = mlp.slopes[0]
    assert slopes.units_small == np.count_nonzero(by_hand.mean(axis=0) < 1e-3) == 8
    assert slopes.mean == pytest.approx(by_hand.mean(), rel=1e-12)
    assert "8 of 8 units below 0.001 on average" in str(explanation)
    assert explanation.strongest[0] == "σ′ at layer 1"
    assert explanation.layers[1].input.max_abs == pytest.approx(np.abs(mlp.x).max())


def test_a_summary_is_not_a_number_and_changes_nothing(make_mlp):
    mlp = make_mlp([4, 5, 2], "tanh", "cross_entropy")
    first = gn.explain(mlp.loss, mlp.W[0])
    assert first == gn.explain(mlp.loss, mlp.W[0])
    assert all(leaf.grad is None for leaf in (*mlp.W, *mlp.b))
    with pytest.raises(gn.ShapeError, match=r"whole tensor of shape \(5, 4\).*pass index="):
        float(first)
    assert repr(first) == "<Explanation ∂L/∂W1: summary of 2 layers>"
    mlp.loss.backward()  # the graph is still whole
    assert first.gradient.max_abs == pytest.approx(np.abs(mlp.W[0].grad).max(), rel=1e-12)


def test_a_graph_without_linear_layers_gives_the_gradients_size():
    w = gn.tensor(np.arange(6.0).reshape(2, 3) / 5, requires_grad=True, dtype=F64, name="w")
    loss = F.softmax(w, axis=1).max(axis=1).sum()
    explanation = gn.explain(loss, w)
    loss.backward()
    assert explanation.layers == () and explanation.strongest is None
    assert explanation.gradient.rms == pytest.approx(np.sqrt(np.mean(w.grad**2)), rel=1e-12)
    assert str(explanation).splitlines()[1] == "  1 path from L, through no Linear layer"


def test_a_wrt_that_does_not_reach_the_output_has_a_zero_summary():
    a = gn.tensor(np.ones(3), requires_grad=True, dtype=F64, name="a")
    b = gn.tensor(np.ones(3), requires_grad=True, dtype=F64, name="b")
    explanation = gn.explain((a * 2.0).sum(), b)
    assert explanation.gradient.shape == (3,) and explanation.gradient.max_abs == 0
    assert "no path from L" in str(explanation)


def test_a_shared_weight_is_summed_over_its_uses_and_gets_no_element_chain():
    rng = np.random.default_rng(4)
    x = gn.tensor(rng.normal(size=(5, 3)), dtype=F64)
    w = gn.tensor(rng.normal(size=(3, 3)), requires_grad=True, dtype=F64, name="W")
    loss = (F.linear(F.tanh(F.linear(x, w)), w) ** 2).mean()  # w used by two layers
    summary = gn.explain(loss, w)
    element = gn.explain(loss, w, index=(1, 2))
    loss.backward()
    assert summary.gradient.rms == pytest.approx(np.sqrt(np.mean(w.grad**2)), rel=1e-12)
    assert [record.number for record in summary.layers] == [2, 1]
    hidden = np.tanh(x.data @ w.data.T)
    grad_out = 2 * (hidden @ w.data.T) / hidden.size
    grad_hidden_pre = (grad_out @ w.data) * (1 - hidden**2)
    uses = [grad_out.T @ hidden, grad_hidden_pre.T @ x.data]  # by hand: each layer's part
    for record, part in zip(summary.layers, uses, strict=True):
        assert record.weight_gradient.rms == pytest.approx(np.sqrt(np.mean(part**2)), rel=1e-12)
    assert np.allclose(uses[0] + uses[1], w.grad, rtol=1e-12, atol=0)
    # two paths: the layer-by-layer chain would leave one out, so the paths are listed instead
    assert element.links == () and element.path_count == 2
    assert element.value == pytest.approx(w.grad[1, 2], rel=1e-12)
    assert sum(term.product for term in element.terms) == pytest.approx(element.value)


def test_the_summary_and_the_chain_name_the_loss_above_the_last_layer_alike():
    gn.manual_seed(0)
    model = gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.ReLU(), gn.nn.Linear(3, 1))
    x, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    loss = gn.functional.binary_cross_entropy_with_logits(model(x), y)
    summary = gn.explain(loss, model[0].weight).format()
    chain = gn.explain(loss, model[0].weight, (0, 0)).format()
    assert "(from binary_cross_entropy_with_logits)" in summary
    assert "(what binary_cross_entropy_with_logits's backward hands layer 2)" in chain
