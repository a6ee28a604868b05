"""``nn.mlp``: the layers, their names and initial weights, the shared activation table, the
refusals, and its docstring example."""

import doctest

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn import multilayer_perceptron


def layer_names(model):
    return [type(layer).__name__ for layer in model]


def hand_built(sizes, activation, dropout):
    """The network as the CLI and the estimators assembled it layer by layer before mlp."""
    layers = []
    for in_features, out_features in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [nn.Linear(in_features, out_features), activation()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


@pytest.mark.parametrize("sizes, dropout", [([4, 64, 32, 3], 0.0), ([5, 8, 8, 2], 0.3),
                                            ([3, 1], 0.0), ([3, 2], 0.5)])
def test_same_layers_names_and_initial_weights_as_the_hand_built_network(sizes, dropout):
    gn.manual_seed(7)
    built = nn.mlp(sizes, activation="tanh", dropout=dropout)
    gn.manual_seed(7)
    expected = hand_built(sizes, nn.Tanh, dropout)
    assert layer_names(built) == layer_names(expected)
    assert list(built.state_dict()) == list(expected.state_dict())  # "0.weight", "2.weight", …
    for (name, value), other in zip(built.state_dict().items(), expected.state_dict().values(),
                                    strict=True):
        np.testing.assert_array_equal(value, other, err_msg=name)


def test_the_last_layer_has_no_activation_and_dropout_follows_each_hidden_activation():
    model = nn.mlp([2, 6, 5, 1], activation="relu", dropout=0.25)
    assert layer_names(model) == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout",
                                  "Linear"]
    assert [layer.p for layer in model if isinstance(layer, nn.Dropout)] == [0.25, 0.25]
    assert [(m.in_features, m.out_features) for m in model if isinstance(m, nn.Linear)] == [
        (2, 6), (6, 5), (5, 1)]


@pytest.mark.parametrize("name", sorted(nn.ACTIVATIONS))
def test_every_name_of_the_shared_table_builds_its_layer(name):
    model = nn.mlp([3, 4, 2], activation=name)
    assert type(model[1]) is nn.ACTIVATIONS[name]


def test_the_table_holds_every_name_the_cli_and_the_estimators_took():
    # the CLI took softplus, the estimators logistic and identity: both now take all of them
    assert set(nn.ACTIVATIONS) == {"relu", "tanh", "sigmoid", "logistic", "identity", "gelu",
                                   "leaky_relu", "softplus"}
    assert nn.ACTIVATIONS["logistic"] is nn.Sigmoid and nn.ACTIVATIONS["identity"] is nn.Identity


def test_a_callable_activation_makes_a_new_layer_each_time():
    model = nn.mlp([3, 4, 4, 2], activation=lambda: nn.LeakyReLU(0.2))
    first, second = model[1], model[3]
    assert type(first) is nn.LeakyReLU and first is not second and first.negative_slope == 0.2


@pytest.mark.parametrize("kwargs, error, message", [
    ({"sizes": [4]}, ValueError, "at least 2 positive integers"),
    ({"sizes": []}, ValueError, "at least 2 positive integers"),
    ({"sizes": 4}, ValueError, "at least 2 positive integers"),
    ({"sizes": [4, 0, 2]}, ValueError, r"got \[4, 0, 2\]"),
    ({"sizes": [4, 2.5]}, ValueError, "positive integers"),
    ({"sizes": [4, True]}, ValueError, "positive integers"),
    ({"sizes": [4, 2], "dropout": 1.0}, ValueError, "from 0 to below 1; got 1.0"),
    ({"sizes": [4, 2], "dropout": -0.1}, ValueError, "from 0 to below 1"),
    ({"sizes": [4, 2], "activation": "swish"},
     ValueError, "one of relu, tanh, sigmoid, logistic, identity, gelu, leaky_relu, softplus"),
    ({"sizes": [4, 2], "activation": 3}, TypeError, "got int"),
])
def test_bad_arguments_are_refused_with_what_was_expected(kwargs, error, message):
    with pytest.raises(error, match=message):
        nn.mlp(**kwargs)


def test_the_docstring_example_runs_and_shows_what_it_says():
    found = doctest.DocTestFinder(recurse=False).find(
        multilayer_perceptron.mlp, "mlp", globs={"gn": gn, "np": np})
    examples = [example for test in found for example in test.examples]
    assert len(examples) >= 4
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in found:
        runner.run(test)
    assert runner.summarize(verbose=False) == (0, len(examples))
