"""Recurrent layers in a Sequential: LastTimeStep, gn.fit, model.summary and gn.explain."""

import doctest

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.errors import ShapeError
from glassnet.nn import recurrent


def first_step_task(samples, length, seed):
    """Sequences of noise whose class is the sign of their first step: to answer at the last
    step, the layer must carry that one number through every step after it."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, length, 1)).astype(np.float32)
    return X, (X[:, 0, 0] > 0).astype(np.int64)


def test_fit_trains_a_gru_sequence_classifier_well_above_chance():
    gn.manual_seed(0)
    X, y = first_step_task(512, 8, seed=0)
    X_test, y_test = first_step_task(256, 8, seed=1)
    model = nn.Sequential(nn.GRU(1, 8, batch_first=True), nn.LastTimeStep(), nn.Linear(8, 2))
    history = gn.fit(model, X, y, loss="cross_entropy",
                     optimizer=gn.optim.Adam(model.parameters(), lr=0.03), epochs=15,
                     batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    accuracy = (gn.predict(model, X_test).argmax(axis=1) == y_test).mean()
    assert accuracy > 0.85  # chance: 0.5


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_last_time_step_is_the_output_at_the_last_step(kind, rng):
    layer = getattr(nn, kind)(2, 3, num_layers=2, batch_first=True)
    outputs = layer(rng.normal(size=(4, 6, 2)))
    np.testing.assert_array_equal(nn.LastTimeStep()(outputs).data, outputs[0].data[:, -1])


def test_last_time_step_of_a_bidirectional_layer_joins_each_directions_final_state(rng):
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    output, (h_n, _) = layer(rng.normal(size=(6, 4, 2)))
    joined = nn.LastTimeStep()((output, (h_n, _)))
    assert joined.shape == (4, 6)
    np.testing.assert_array_equal(joined.data[:, :3], output.data[-1, :, :3])
    np.testing.assert_array_equal(joined.data[:, 3:], output.data[0, :, 3:])
    unbatched = nn.LastTimeStep()(layer(rng.normal(size=(6, 2))))
    assert unbatched.shape == (6,)


def test_last_time_step_refuses_what_is_not_a_recurrent_layers_output(rng):
    with pytest.raises(TypeError, match=r"\(output, h_n\)"):
        nn.LastTimeStep()(gn.tensor(rng.normal(size=(4, 3))))
    with pytest.raises(ShapeError, match="H or 2H features"):
        nn.LastTimeStep()((gn.tensor(np.zeros((5, 4, 7))), gn.tensor(np.zeros((1, 4, 3)))))


def test_summary_shows_each_output_shape():
    model = nn.Sequential(nn.GRU(1, 8, num_layers=3, batch_first=True), nn.LastTimeStep(),
                          nn.Linear(8, 2))
    text = str(model.summary((40, 1)))
    # output (N, L, H), then h_n (num_layers, N, H), its batch axis in the middle
    assert "0 (GRU)            (N, 40, 8), (3, N, 8)" in text
    assert "1 (LastTimeStep)   (N, 8)" in text
    assert f"{model[0].num_parameters():,}" in text


def test_explain_writes_a_recurrent_weight_as_its_sum_over_time_steps(rng):
    gn.manual_seed(0)
    model = nn.Sequential(nn.GRU(1, 4, batch_first=True), nn.LastTimeStep(), nn.Linear(4, 2))
    X, y = first_step_task(8, 12, seed=2)
    loss = F.cross_entropy(model(X), y)
    explanation = gn.explain(loss, model[0].weight_hh_l0, index=(5, 2))
    [link] = explanation.links
    loss.backward()
    assert explanation.value == pytest.approx(float(model[0].weight_hh_l0.grad[5, 2]), rel=1e-5)
    steps, terms = zip(*link.largest, strict=True)
    assert len(steps) == 5 and link.steps == 12
    assert list(np.abs(terms)) == sorted(np.abs(terms), reverse=True)
    assert all(0 < share <= 1 for share in link.shares) and sum(link.shares) <= 1 + 1e-9
    text = str(explanation)
    assert text.startswith("∂L/∂weight_hh[5, 2] = Σ over 12 time steps t of Σ over 8 samples")
    assert "row 5 feeds z (update gate) of unit 1" in text
    assert f"t={steps[0]}: " in text


@pytest.mark.parametrize(("parameter", "index"), [("weight_ih_l0_reverse", (6, 1)),
                                                  ("weight_hh_l0", (3, 0)),
                                                  ("bias_ih_l0_reverse", (9,)),
                                                  ("bias_hh_l0", (2,))])
def test_the_steps_add_up_to_the_gradient(parameter, index, rng, float64_default):
    layer = nn.LSTM(2, 3, bidirectional=True)
    output, (h_n, c_n) = layer(rng.normal(size=(7, 3, 2)))
    loss = (output * output).sum() + c_n.sum()
    wrt = getattr(layer, parameter)
    [link] = gn.explain(loss, wrt, index=index).links
    every_step = gn.explain(loss, wrt, index=index)
    loss.backward()
    assert every_step.value == pytest.approx(float(wrt.grad[index]), rel=1e-12)
    gate_names = ("i (input gate)", "f (forget gate)", "g (cell candidate)", "o (output gate)")
    assert gate_names[index[0] // 3] in link.gate
    assert ("reverse" in link.gate) == parameter.endswith("reverse")


def test_every_step_is_listed_when_a_few_steps_carry_the_whole_gradient(rng, float64_default):
    layer = nn.RNN(1, 2)
    x = np.zeros((6, 1, 1))
    x[2] = 1.0  # one step with input: only its term of ∂L/∂W_ih is non-zero
    output, _ = layer(x)
    [link] = gn.explain(output.sum(), layer.weight_ih_l0, index=(0, 0)).links
    assert [step for step, _ in link.largest] == [2]
    assert link.shares == (1.0,)


def test_the_docstring_example_runs_and_shows_what_it_says():
    found = doctest.DocTestFinder(recurse=False).find(recurrent.LastTimeStep, "LastTimeStep")
    examples = [example for test in found for example in test.examples]
    assert len(examples) >= 6
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in found:
        runner.run(test)
    assert runner.summarize(verbose=False) == (0, len(examples))
