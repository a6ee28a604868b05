"""Module.summary: output shapes from a dummy forward pass, parameter counts, no side effects."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.random import get_rng_state


def _model():
    return nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(16, 3))


def test_rows_hold_output_shapes_and_parameter_counts():
    summary = _model().summary((4,))
    rows = [(r.name, r.type_name, r.output_shape, r.num_parameters) for r in summary.rows]
    assert rows == [
        ("0", "Linear", "(N, 16)", 4 * 16 + 16),
        ("1", "BatchNorm1d", "(N, 16)", 32),
        ("2", "ReLU", "(N, 16)", 0),
        ("3", "Dropout", "(N, 16)", 0),
        ("4", "Linear", "(N, 3)", 16 * 3 + 3),
    ]
    assert summary.total_parameters == 80 + 32 + 51
    assert summary.trainable_parameters == 163 and summary.non_trainable_parameters == 0


def test_table_text():
    text = str(_model().summary((4,)))
    lines = text.splitlines()
    assert lines[0] == "Sequential summary"
    assert lines[2].split() == ["Layer", "(type)", "Output", "shape", "Param", "#"]
    assert lines[4].split() == ["input", "(N,", "4)"]
    assert lines[5].split() == ["0", "(Linear)", "(N,", "16)", "80"]
    assert lines[-3:] == ["Total params: 163", "Trainable params: 163", "Non-trainable params: 0"]
    assert repr(_model().summary((4,))) == text


def test_has_no_side_effects():
    model = _model()
    model.train()
    before = model.state_dict()
    rng_state = get_rng_state()
    model.summary((4,))
    assert all(m.training for m in model.modules())
    assert get_rng_state() == rng_state
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    model.eval()
    model.summary((4,))
    assert not any(m.training for m in model.modules())


def test_accepts_an_input_batch_and_shows_its_shapes():
    summary = _model().summary(np.zeros((7, 4)))
    assert summary.input_shape == "(7, 4)"
    assert [r.output_shape for r in summary.rows][-1] == "(7, 3)"
    assert _model().summary(input=gn.tensor(np.zeros((7, 4)))).rows[0].output_shape == "(7, 16)"


def test_nested_modules_are_indented_and_frozen_parameters_counted():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 5), nn.Tanh())
            self.head = nn.Linear(5, 2)

        def forward(self, x):
            return self.head(self.body(x))

    net = Net()
    net.body.requires_grad_(False)
    summary = net.summary((3,))
    assert [r.name for r in summary.rows] == ["body", "body.0", "body.1", "head"]
    assert [r.depth for r in summary.rows] == [0, 1, 1, 0]
    assert summary.rows[0].num_parameters == 20
    assert (summary.trainable_parameters, summary.non_trainable_parameters) == (12, 20)
    assert "  body.0 (Linear)" in str(summary)
    assert "Non-trainable params: 20" in str(summary)


def test_without_input_shapes_are_unknown_but_counts_are_shown():
    summary = _model().summary()
    assert all(r.output_shape is None for r in summary.rows)
    assert summary.total_parameters == 163
    assert "0 (Linear)" in str(summary)


def test_float64_model_gets_float64_dummy_input(float64_default):
    seen = []
    model = _model()
    model[0].register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].dtype))
    model.summary((4,))
    assert seen and all(dtype == np.float64 for dtype in seen)


def test_a_wrong_input_shape_raises_the_layer_error_and_restores_the_model():
    model = _model().train()
    with pytest.raises(gn.ShapeError, match="Linear expects input of shape"):
        model.summary((5,))
    assert all(m.training for m in model.modules())
    model(np.zeros((2, 4)))  # no hook left behind
    assert all(not m._forward_hooks for m in model.modules())


def test_the_batch_axis_is_named_n_wherever_a_layer_puts_it():
    # h_n and c_n are (layers, N, hidden): with 2 layers their first axis equals a 2-row batch
    model = nn.Sequential(nn.LSTM(3, 5, batch_first=True, num_layers=2), nn.LastTimeStep(),
                          nn.Linear(5, 2))
    rows = model.summary((7, 3)).rows
    assert rows[0].output_shape == "(N, 7, 5), (2, N, 5), (2, N, 5)"
    assert rows[2].output_shape == "(N, 2)"
    one_layer = nn.Sequential(nn.GRU(3, 2, batch_first=True), nn.LastTimeStep())
    assert one_layer.summary((7, 3)).rows[0].output_shape == "(N, 7, 2), (1, N, 2)"


def test_a_size_equal_to_a_batch_size_is_not_taken_for_the_batch_axis():
    model = nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 3))
    shapes = [row.output_shape for row in model.summary((4,)).rows]
    assert shapes == ["(N, 2)", "(N, 2)", "(N, 3)"]
