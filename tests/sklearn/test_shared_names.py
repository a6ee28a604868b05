"""The estimators take every activation and optimizer name of glassnet's shared tables
(``nn.ACTIVATIONS``, ``optim.OPTIMIZERS``), build their network with ``nn.mlp`` and name its
weights as before ("0.weight", "2.weight", … or, with dropout, "0.weight", "3.weight", …)."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from glassnet import nn, optim
from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = {"hidden_layer_sizes": (5,), "random_state": 0, "epochs": 1}


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(40, n_features=3, centers=3, random_state=0)


@pytest.mark.parametrize("name", sorted(nn.ACTIVATIONS))
def test_every_activation_name_of_the_shared_table(name, blobs):
    estimator = NeuralNetClassifier(**SMALL, activation=name).fit(*blobs)
    assert type(estimator.model_[1]) is nn.ACTIVATIONS[name]


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_every_optimizer_name_of_the_shared_table(name, blobs):
    estimator = NeuralNetClassifier(**SMALL, optimizer=name).fit(*blobs)
    assert type(estimator._optimizer) is optim.OPTIMIZERS[name]


def test_sgd_keeps_scikit_learns_nesterov_momentum(blobs):
    estimator = NeuralNetClassifier(**SMALL, optimizer="sgd").fit(*blobs)
    group = estimator._optimizer.param_groups[0]
    assert group["momentum"] == 0.9 and group["nesterov"] is True


@pytest.mark.parametrize("param, value, names", [
    ("activation", "swish", sorted(nn.ACTIVATIONS)),
    ("activation", ["relu"], sorted(nn.ACTIVATIONS)),  # unhashable: still a ValueError
    ("optimizer", "lbfgs", list(optim.OPTIMIZERS)),
])
def test_an_unknown_name_is_refused_with_every_accepted_name(param, value, names, blobs):
    estimator = NeuralNetRegressor(**SMALL, **{param: value})
    with pytest.raises(ValueError, match=f"The '{param}' parameter") as caught:
        estimator.fit(blobs[0], blobs[1].astype(float))
    assert f"a str among {names}" in str(caught.value)


@pytest.mark.parametrize("dropout, weights", [(0.0, ["0.weight", "2.weight", "4.weight"]),
                                              (0.2, ["0.weight", "3.weight", "6.weight"])])
def test_the_network_is_nn_mlp_with_the_same_weight_names(dropout, weights, blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(hidden_layer_sizes=(6, 4), dropout=dropout, epochs=1,
                                    random_state=0).fit(X, y)
    names = [name for name in estimator.model_.state_dict() if name.endswith("weight")]
    assert names == weights
    shapes = [layer.weight.shape for layer in estimator.model_ if isinstance(layer, nn.Linear)]
    assert shapes == [(6, 3), (4, 6), (3, 4)]
    np.testing.assert_allclose(estimator.predict_proba(X).sum(axis=1), 1.0)
