"""The objects of glassnet's seed tutorial, in plain NumPy, to read beside the text.

The tutorial ("神经网络的工作原理", a translation of Victor Zhou's "Machine Learning for
Beginners: An Introduction to Neural Networks") builds up a neural network step by step; each
step has its object here:

=====================================  ======================================================
the text's section                     here
=====================================  ======================================================
the perceptron and the hiking example  ``Perceptron``, ``hiking_perceptron``  (perceptron.py,
                                       hiking.py)
ReLU, sigmoid, softmax; the 2-in,      ``relu``, ``sigmoid``, ``softmax``, ``TwoByTwoNetwork``
2-out network ending at (0.98, 0.02)   (activations.py, two_by_two.py)
the error, mse_loss                    ``mse_loss``                           (activations.py)
Numpy 实现神经元                        ``Neuron``                              (neuron.py)
Numpy 实现前向传播                      ``OurNeuralNetwork``                    (neuron.py)
Numpy 实现一个可学习的神经网络           ``TrainableNetwork``, ``deriv_sigmoid``  (network.py)
the same network as a glassnet graph,  ``TrainableNetwork.autograd_graph`` and
for autograd and ``gn.explain``        ``.autograd_gradients``   (autograd_network.py)
its data: Alice, Bob, Charlie, Diana   ``gender_data``, ``prediction_data``   (data.py)
=====================================  ======================================================
"""

from glassnet.tutorial.activations import deriv_sigmoid, mse_loss, relu, sigmoid, softmax
from glassnet.tutorial.data import (
    ALICE,
    BOB,
    CHARLIE,
    DIANA,
    EMILY,
    FRANK,
    PREDICTION_PEOPLE,
    TRAINING_PEOPLE,
    Person,
    gender_data,
    prediction_data,
    xor_data,
)
from glassnet.tutorial.hiking import (
    HIKING_INPUT_NAMES,
    HIKING_THRESHOLD,
    HIKING_WEIGHTS,
    PAST_WEEKENDS,
    Weekend,
    hiking_decision,
    hiking_perceptron,
    past_weekends,
)
from glassnet.tutorial.network import PARAMETER_NAMES, ForwardPass, TrainableNetwork
from glassnet.tutorial.neuron import Neuron, OurNeuralNetwork
from glassnet.tutorial.perceptron import Perceptron
from glassnet.tutorial.two_by_two import (
    EXAMPLE_INPUT,
    EXAMPLE_TARGET,
    TwoByTwoNetwork,
    TwoByTwoTrace,
)

__all__ = [
    "ALICE",
    "BOB",
    "CHARLIE",
    "DIANA",
    "EMILY",
    "EXAMPLE_INPUT",
    "EXAMPLE_TARGET",
    "FRANK",
    "HIKING_INPUT_NAMES",
    "HIKING_THRESHOLD",
    "HIKING_WEIGHTS",
    "PARAMETER_NAMES",
    "PAST_WEEKENDS",
    "PREDICTION_PEOPLE",
    "TRAINING_PEOPLE",
    "ForwardPass",
    "Neuron",
    "OurNeuralNetwork",
    "Perceptron",
    "Person",
    "TrainableNetwork",
    "TwoByTwoNetwork",
    "TwoByTwoTrace",
    "Weekend",
    "deriv_sigmoid",
    "gender_data",
    "hiking_decision",
    "hiking_perceptron",
    "mse_loss",
    "past_weekends",
    "prediction_data",
    "relu",
    "sigmoid",
    "softmax",
    "xor_data",
]
