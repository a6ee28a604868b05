"""gn.explain on convolutions: a weight's gradient as its sum over the output positions, with the
numbers a direct NumPy computation gives, and the whole-tensor summary per layer."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.explanations import Magnitude


def network(x, weight, bias, conv, **arguments):
    """conv → ReLU → flatten → a fixed linear read-out → mean squared: L and the conv output."""
    y = conv(x, weight, bias, **arguments)
    y.name = "y"
    readout = np.linspace(-1.0, 1.0, int(np.prod(y.shape[1:]))).reshape(-1, 1)
    hidden = y.relu().reshape(y.shape[0], -1)
    return ((hidden @ gn.tensor(readout, dtype=np.float64)) ** 2).mean(), y


def gradient_at_output(x, weight, bias, conv, **arguments):
    """∂L/∂y, computed apart: the rest of the network run again from y as a leaf."""
    _, y = network(x, weight, bias, conv, **arguments)
    leaf = gn.tensor(y.data, requires_grad=True, dtype=np.float64)
    readout = np.linspace(-1.0, 1.0, int(np.prod(leaf.shape[1:]))).reshape(-1, 1)
    hidden = leaf.relu().reshape(leaf.shape[0], -1)
    ((hidden @ gn.tensor(readout, dtype=np.float64)) ** 2).mean().backward()
    return leaf.grad


CASES = {
    # (conv, x shape, weight shape, arguments, element of the weight)
    "conv1d-strided-padded": (F.conv1d, (8, 2, 26), (4, 2, 3), {"stride": 2, "padding": 1},
                              (1, 0, 2)),
    "conv2d-grouped-dilated": (F.conv2d, (3, 4, 7, 6), (6, 2, 2, 3),
                               {"groups": 2, "dilation": (2, 1), "padding": (1, 0)}, (4, 1, 1, 2)),
}


def inputs(case):
    conv, x_shape, weight_shape, arguments, element = CASES[case]
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.normal(size=x_shape), dtype=np.float64, name="x")
    weight = gn.tensor(rng.normal(size=weight_shape), requires_grad=True, dtype=np.float64,
                       name="conv.weight")
    bias = gn.tensor(rng.normal(size=weight_shape[0]), requires_grad=True, dtype=np.float64,
                     name="conv.bias")
    return conv, x, weight, bias, arguments, element


def direct_terms(x, grad_y, element, out_channels, groups, stride, padding, dilation):
    """terms[n, *p] = ∂L/∂y[n, o, *p] · x_pad[n, c′, *(p·stride + k·dilation)], by loops."""
    o, c, *k = element
    channel = o // (out_channels // groups) * x.shape[1] // groups + c
    spatial = x.ndim - 2
    pads = [(p, p) for p in padding]
    x_pad = np.pad(x, [(0, 0), (0, 0), *pads])
    terms = np.zeros((x.shape[0], *grad_y.shape[2:]))
    for n, *p in np.ndindex(terms.shape):
        read = tuple(p[a] * stride[a] + k[a] * dilation[a] for a in range(spatial))
        terms[(n, *p)] = grad_y[(n, o, *p)] * x_pad[(n, channel, *read)]
    return terms


@pytest.mark.parametrize("case", list(CASES))
def test_a_weight_s_gradient_is_its_sum_over_positions_with_numpy_s_numbers(case):
    conv, x, weight, bias, arguments, element = inputs(case)
    loss, _ = network(x, weight, bias, conv, **arguments)
    explanation = gn.explain(loss, weight, element)
    grad_y = gradient_at_output(x, weight, bias, conv, **arguments)
    spatial = x.ndim - 2

    def pair(value):
        return (value,) * spatial if isinstance(value, int) else tuple(value)

    terms = direct_terms(x.data, grad_y, element, weight.shape[0], arguments.get("groups", 1),
                         pair(arguments.get("stride", 1)), pair(arguments.get("padding", 0)),
                         pair(arguments.get("dilation", 1)))
    loss.backward()
    assert explanation.value == pytest.approx(weight.grad[element], rel=1e-12)
    assert terms.sum() == pytest.approx(weight.grad[element], rel=1e-10, abs=1e-14)
    link = explanation.links[0]
    assert link.kind == "sum" and link.over == "positions" and link.count == terms.size
    order = np.argsort(-np.abs(terms), axis=None, kind="stable")[:3]
    expected_positions = [tuple(int(i) for i in np.unravel_index(flat, terms.shape))
                          for flat in order]
    assert [term.position for term in link.largest] == expected_positions
    for term in link.largest:
        assert term.value == pytest.approx(terms[term.position], rel=1e-12)
        assert term.left == pytest.approx(grad_y[(term.position[0], element[0],
                                                  *term.position[1:])], rel=1e-12)
    assert link.share == pytest.approx(np.abs(terms).ravel()[order].sum() / np.abs(terms).sum())
    top = explanation.links[1]
    assert top.kind == "top"
    assert top.value == pytest.approx(link.largest[0].left, rel=1e-12)


def test_the_text_writes_the_sum_and_its_largest_terms():
    conv, x, weight, bias, arguments, element = inputs("conv1d-strided-padded")
    loss, _ = network(x, weight, bias, conv, **arguments)
    text = str(gn.explain(loss, weight, element))
    lines = text.splitlines()
    assert lines[0].startswith("∂L/∂conv.weight[1, 0, 2] = Σ over 8×13 positions (n, l) of "
                               "∂L/∂y[n, 1, l] · x[n, 0, 2l+1] = ")
    assert "zero padding: the term is 0 unless 0 ≤ 2l+1 < 26" in lines[0]
    assert "% of Σ|term|: (n, l)=(" in lines[1]
    assert lines[2].endswith("(what relu's backward hands layer 1)")


def test_a_bias_s_gradient_is_the_sum_of_the_output_gradient_over_positions():
    conv, x, weight, bias, arguments, _ = inputs("conv2d-grouped-dilated")
    loss, _ = network(x, weight, bias, conv, **arguments)
    explanation = gn.explain(loss, bias, (3,))
    grad_y = gradient_at_output(x, weight, bias, conv, **arguments)
    assert explanation.value == pytest.approx(grad_y[:, 3].sum(), rel=1e-10)
    link = explanation.links[0]
    assert link.count == grad_y[:, 3].size
    assert "Σ over 3×7×4 positions (n, h, w) of ∂L/∂y[n, 3, h, w]" in link.formula
    assert link.largest[0].value == pytest.approx(np.abs(grad_y[:, 3]).max() * np.sign(
        grad_y[(link.largest[0].position[0], 3, *link.largest[0].position[1:])]))


def test_the_whole_tensor_summary_has_a_record_per_convolution_layer():
    rng = np.random.default_rng(1)
    x = gn.tensor(rng.normal(size=(5, 1, 9, 9)), dtype=np.float64)
    first = gn.tensor(rng.normal(size=(3, 1, 3, 3)), requires_grad=True, dtype=np.float64)
    second = gn.tensor(rng.normal(size=(2, 3, 3, 3)), requires_grad=True, dtype=np.float64)
    hidden = F.conv2d(x, first, padding=1).relu()
    loss = (F.conv2d(hidden, second, stride=2) ** 2).mean()
    explanation = gn.explain(loss, first)
    top, bottom = explanation.layers
    assert (top.kind, top.number, bottom.kind, bottom.number) == ("conv2d", 2, "conv2d", 1)
    assert bottom.activation.units == 3  # a convolution's units are its output channels
    assert bottom.activation.samples == 5 * 9 * 9
    loss.backward()
    assert explanation.gradient == Magnitude.of(first.grad)
    assert bottom.weight_gradient == Magnitude.of(first.grad)
    assert top.weight_gradient == Magnitude.of(second.grad)  # this use's part, recomputed
    assert "layer 1 (conv2d 3×1×3×3 + relu)" in str(explanation)
