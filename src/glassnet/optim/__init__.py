"""Optimizers and learning-rate schedules, with PyTorch's update rules, defaults and names.

Import as ``glassnet.optim``::

    optimizer = gn.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = gn.optim.lr_scheduler.StepLR(optimizer, step_size=10)
"""

from glassnet.optim import lr_scheduler
from glassnet.optim.adagrad import Adagrad
from glassnet.optim.adam import Adam, AdamW
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.rmsprop import RMSprop
from glassnet.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
