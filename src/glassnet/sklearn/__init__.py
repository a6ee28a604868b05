"""scikit-learn estimators on glassnet's engine: ``NeuralNetClassifier``, ``NeuralNetRegressor``.

They follow ``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor`` (hyperparameters,
stopping rule, ``loss_curve_``, ``partial_fit``) and pass scikit-learn's ``check_estimator``, so
they work in ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and ``clone``::

    from glassnet.sklearn import NeuralNetClassifier
    model = make_pipeline(StandardScaler(), NeuralNetClassifier(hidden_layer_sizes=(32,)))
    model.fit(X, y).predict_proba(X_new)

Saving: ``gn.save(est, "model.safetensors")`` / ``gn.load(path)`` (or ``save_estimator`` /
``load_estimator``) write and read
glassnet's model file (safetensors weights + JSON: nothing in it can run code). Pickle works
too, as for any scikit-learn estimator, but only unpickle files you trust.

Needs scikit-learn: ``pip install 'glassnet[sklearn]'``.
"""

try:
    import sklearn  # noqa: F401  (only to report a missing extra clearly)
except ImportError as error:
    raise ImportError(
        "glassnet.sklearn needs scikit-learn, which is not installed. Install glassnet's "
        "scikit-learn extra: pip install 'glassnet[sklearn]'"
    ) from error

from glassnet.io import Adapter, register_adapter
from glassnet.sklearn._estimators import NeuralNetClassifier, NeuralNetRegressor
from glassnet.sklearn._persistence import (
    METADATA_KEY,
    from_bundle,
    load_estimator,
    save_estimator,
    to_bundle,
)

register_adapter(
    Adapter(
        METADATA_KEY,
        owns=lambda obj: isinstance(obj, (NeuralNetClassifier, NeuralNetRegressor)),
        to_bundle=to_bundle,
        from_bundle=from_bundle,
    )
)

__all__ = [
    "NeuralNetClassifier",
    "NeuralNetRegressor",
    "from_bundle",
    "load_estimator",
    "save_estimator",
    "to_bundle",
]
