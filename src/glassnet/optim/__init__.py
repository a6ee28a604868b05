"""Optimizers and learning-rate schedules, with PyTorch's update rules, defaults and names.

Import as ``glassnet.optim``::

    optimizer = gn.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = gn.optim.lr_scheduler.StepLR(optimizer, step_size=10)

``OPTIMIZERS`` maps the names the CLI and the scikit-learn estimators accept to the classes.
"""

from glassnet.optim import lr_scheduler
from glassnet.optim.adagrad import Adagrad
from glassnet.optim.adam import Adam, AdamW
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.rmsprop import RMSprop
from glassnet.optim.sgd import SGD

# The optimizers by the names the CLI (--optimizer) and the scikit-learn estimators accept.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "adam": Adam,
    "adamw": AdamW,
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "lr_scheduler",
]
