"""gn.explain on MLPs: every number of the whole-tensor summary and of one element's chain,
against the same MLP differentiated by hand in NumPy (and autograd's .grad)."""

import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.explanations.layer_records import LARGEST_TERMS, SMALL_SLOPE
from glassnet.explanations.records import format_number

F64 = np.float64
SYMBOLS = {"relu": "ReLU′", "sigmoid": "σ′", "tanh": "tanh′"}


def rms(array):
    return float(np.sqrt(np.mean(np.square(array))))


def check_magnitude(magnitude, array):
    assert magnitude.shape == array.shape
    assert magnitude.rms == pytest.approx(rms(array), rel=1e-12, abs=1e-300)
    assert magnitude.max_abs == pytest.approx(float(np.abs(array).max()), rel=1e-12, abs=1e-300)


CASES = [
    pytest.param(sizes, activation, loss, id=f"{len(sizes) - 1}layers-{activation}-{loss}")
    for sizes in ([6, 8, 3], [6, 8, 5, 3])
    for activation in ("relu", "sigmoid", "tanh")
    for loss in ("cross_entropy", "mse")
]


def expected_printed_numbers(mlp, explanation, bottom):
    """The numbers the summary prints after RMS / max |·| / mean / ×, in print order, by hand."""
    numbers = [rms(mlp.grad_weight[bottom]), np.abs(mlp.grad_weight[bottom]).max()]
    for k in reversed(range(bottom, len(mlp.weights))):
        gains = []
        numbers += [rms(mlp.grad_post[k]), np.abs(mlp.grad_post[k]).max()]
        if mlp.slopes[k] is not None:
            numbers.append(mlp.slopes[k].mean())
            numbers += [rms(mlp.grad_pre[k]), np.abs(mlp.grad_pre[k]).max()]
            numbers.append(rms(mlp.grad_pre[k]) / rms(mlp.grad_post[k]))
            gains.append(numbers[-1])
        for array in (mlp.weights[k], mlp.inputs[k], mlp.grad_weight[k]):
            numbers += [rms(array), np.abs(array).max()]
        if k > bottom:
            numbers += [rms(mlp.grad_input[k]), np.abs(mlp.grad_input[k]).max()]
            numbers.append(rms(mlp.grad_input[k]) / rms(mlp.grad_pre[k]))
    strongest = [explanation.strongest[1]] if explanation.strongest is not None else []
    return [*numbers, *strongest]


PRINTED = re.compile(r"(?:RMS|max \|·\||mean|×) (-?\d[\d.e+-]*)")


@pytest.mark.parametrize(("sizes", "activation", "loss"), CASES)
@pytest.mark.parametrize("bottom", [0, 1])
def test_the_summary_of_a_weight_matches_numpy_by_hand(
    make_mlp, sizes, activation, loss, bottom
):
    mlp = make_mlp(sizes, activation, loss, seed=len(sizes) + bottom)
    explanation = gn.explain(mlp.loss, mlp.W[bottom])
    text = str(explanation)
    mlp.loss.backward()
    assert explanation.is_summary and explanation.index is None and explanation.value is None
    check_magnitude(explanation.gradient, mlp.W[bottom].grad)
    check_magnitude(explanation.gradient, mlp.grad_weight[bottom])
    layers = explanation.layers
    assert [record.number for record in layers] == list(range(len(sizes) - 1, bottom, -1))
    for record in layers:
        k = record.number - 1
        assert record.weight_name == f"W{k + 1}"
        check_magnitude(record.weight, mlp.weights[k])
        check_magnitude(record.input, mlp.inputs[k])
        check_magnitude(record.output_gradient, mlp.grad_post[k])
        check_magnitude(record.pre_activation_gradient, mlp.grad_pre[k])
        check_magnitude(record.weight_gradient, mlp.grad_weight[k])
        if k == len(sizes) - 2:
            assert record.activation is None and record.activation_gain is None
            assert record.above == ("cross_entropy" if loss == "cross_entropy" else "mse")
        else:
            slopes, by_hand = record.activation, mlp.slopes[k]
            assert (slopes.activation, slopes.symbol) == (activation, SYMBOLS[activation])
            assert (slopes.samples, slopes.units) == by_hand.shape
            assert slopes.mean == pytest.approx(by_hand.mean(), rel=1e-12)
            assert slopes.largest == pytest.approx(by_hand.max(), rel=1e-12)
            assert slopes.units_small == np.count_nonzero(by_hand.mean(axis=0) < SMALL_SLOPE)
            assert slopes.units_zero == np.count_nonzero((by_hand == 0).all(axis=0))
            assert slopes.zero_fraction == np.mean(by_hand == 0)
            assert record.activation_gain == pytest.approx(
                rms(mlp.grad_pre[k]) / rms(mlp.grad_post[k]), rel=1e-12)
        if k > bottom:
            check_magnitude(record.input_gradient, mlp.grad_input[k])
            assert record.weight_gain == pytest.approx(
                rms(mlp.grad_input[k]) / rms(mlp.grad_pre[k]), rel=1e-12)
        else:
            assert record.input_gradient is None and record.weight_gain is None
    gains = [gain for record in layers for _, gain in record.gains()]
    if gains:
        farthest = max(gains, key=lambda gain: abs(np.log(gain)) if gain > 0 else np.inf)
        assert explanation.strongest[1] == farthest
    else:  # the last layer's weight: nothing between it and the loss
        assert explanation.strongest is None and bottom == len(sizes) - 2
    printed = [float(number) for number in PRINTED.findall(text)]
    expected = expected_printed_numbers(mlp, explanation, bottom)
    assert printed == pytest.approx(expected, rel=5e-3)
    assert [format_number(number, 3) for number in expected] == PRINTED.findall(text)


def largest_by_hand(left, right):
    terms = left * right
    order = np.argsort(-np.abs(terms), kind="stable")[:LARGEST_TERMS]
    return order, terms, np.abs(terms[order]).sum() / np.abs(terms).sum()


def check_sum_link(link, left, right, value):
    """Check a sum's link against the terms left·right by hand; the position of the largest."""
    terms = left * right
    assert link.kind == "sum" and link.count == len(terms)
    assert link.value == pytest.approx(value, rel=1e-12, abs=1e-300)
    assert link.value == pytest.approx(terms.sum(), rel=1e-9, abs=1e-15)
    if not terms.any():  # a dead unit: nothing to follow
        assert link.largest == () and link.share is None
        return None
    order, terms, share = largest_by_hand(left, right)
    assert [term.position for term in link.largest] == list(order)
    assert [term.value for term in link.largest] == pytest.approx(terms[order], rel=1e-12)
    assert [term.left for term in link.largest] == pytest.approx(left[order], rel=1e-12)
    assert [term.right for term in link.largest] == pytest.approx(right[order], rel=1e-12)
    assert link.share == pytest.approx(share, rel=1e-12)
    return int(order[0])


@pytest.mark.parametrize(("sizes", "activation", "loss"), CASES)
@pytest.mark.parametrize(("bottom", "parameter"), [(0, "W"), (0, "b"), (1, "W")])
def test_one_elements_chain_matches_numpy_by_hand(
    make_mlp, sizes, activation, loss, bottom, parameter
):
    mlp = make_mlp(sizes, activation, loss, seed=3 * len(sizes) + bottom)
    leaf = (mlp.W if parameter == "W" else mlp.b)[bottom]
    index = (2, 1) if parameter == "W" else (2,)
    explanation = gn.explain(mlp.loss, leaf, index=index)
    text = str(explanation)
    mlp.loss.backward()
    assert explanation.value == pytest.approx(float(leaf.grad[index]), rel=1e-12)
    links = list(explanation.links)
    unit, k = index[0], bottom
    right = mlp.inputs[k][:, index[1]] if parameter == "W" else np.ones(len(mlp.x))
    sample = check_sum_link(links.pop(0), mlp.grad_pre[k][:, unit], right, leaf.grad[index])
    sample = 0 if sample is None else sample
    last = len(mlp.weights) - 1
    while unit is not None:
        if k < last:
            link = links.pop(0)
            assert link.kind == "activation" and link.layer == k + 1
            assert link.slope == pytest.approx(mlp.slopes[k][sample, unit], rel=1e-12)
            assert link.value == pytest.approx(mlp.grad_pre[k][sample, unit], rel=1e-12)
            link = links.pop(0)
            assert link.layer == k + 2
            unit = check_sum_link(link, mlp.grad_pre[k + 1][sample, :], mlp.weights[k + 1][:, unit],
                                  mlp.grad_post[k][sample, unit])
            k += 1
        else:
            [link] = links
            assert link.kind == "top" and link.layer == k + 1
            assert link.value == pytest.approx(mlp.grad_pre[k][sample, unit], rel=1e-12)
            break
    assert links == [] or links[0].kind == "top"
    for link in explanation.links:  # every stored number is printed, as format_number shows it
        assert format_number(link.value) in text
        for term in link.largest:
            assert (f"{format_number(term.left)} · {format_number(term.right)} = "
                    f"{format_number(term.value)}") in text
        if link.slope is not None:
            assert f"({format_number(link.slope)})" in text
def test_the_op_above_the_last_layer_is_named_in_words():
    import glassnet.functional as F

    gn.manual_seed(0)
    model = gn.nn.mlp([2, 3, 1])
    loss = F.binary_cross_entropy_with_logits(model(gn.tensor(np.ones((2, 2)))),
                                              gn.tensor(np.ones((2, 1))))
    text = str(gn.explain(loss, model[0].weight, index=(0, 0)))
    assert "(what binary_cross_entropy_with_logits's backward hands layer 2)" in text
