"""The tutorial's data: predict gender from weight and height, plus XOR for the perceptron.

The trainable network's section uses four people (the Victor Zhou original this text
translates). Weight and height are shifted so the numbers are small and centred:

    weight = pounds - 135        height = inches - 66        female = 1, male = 0

=======  ======  ======  ======
name     weight  height  female
=======  ======  ======  ======
Alice      -2      -1      1
Bob        25       6      0
Charlie    17       4      0
Diana     -15      -6      1
=======  ======  ======  ======

Emily (-7, -3) and Frank (20, 2) are not trained on; the network is asked about them afterwards
(the original reports Emily ≈ 0.951, Frank ≈ 0.039).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

WEIGHT_SHIFT_LB = 135.0
HEIGHT_SHIFT_IN = 66.0


class Person(NamedTuple):
    """One row: shifted weight (lb - 135), shifted height (in - 66) and female (1) or male (0)."""

    name: str
    weight: float
    height: float
    female: int

    @property
    def features(self) -> tuple[float, float]:
        """The network's input (weight, height)."""
        return (self.weight, self.height)

    @classmethod
    def from_measurements(cls, name: str, pounds: float, inches: float, female: int) -> Person:
        """A person from unshifted measurements: weight = pounds - 135, height = inches - 66."""
        return cls(name, pounds - WEIGHT_SHIFT_LB, inches - HEIGHT_SHIFT_IN, female)


ALICE = Person("Alice", weight=-2, height=-1, female=1)
BOB = Person("Bob", weight=25, height=6, female=0)
CHARLIE = Person("Charlie", weight=17, height=4, female=0)
DIANA = Person("Diana", weight=-15, height=-6, female=1)
EMILY = Person("Emily", weight=-7, height=-3, female=1)
FRANK = Person("Frank", weight=20, height=2, female=0)

TRAINING_PEOPLE: tuple[Person, ...] = (ALICE, BOB, CHARLIE, DIANA)
PREDICTION_PEOPLE: tuple[Person, ...] = (EMILY, FRANK)


def _as_arrays(people: tuple[Person, ...]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    X = np.array([person.features for person in people], dtype=np.float64)
    y = np.array([person.female for person in people], dtype=np.float64)
    return X, y, [person.name for person in people]


def gender_data() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The training set: X (4, 2) of (weight, height), y (4,) with female = 1, and the names.

    >>> X, y, names = gender_data()
    >>> names
    ['Alice', 'Bob', 'Charlie', 'Diana']
    >>> X.tolist()
    [[-2.0, -1.0], [25.0, 6.0], [17.0, 4.0], [-15.0, -6.0]]
    >>> y.tolist()
    [1.0, 0.0, 0.0, 1.0]
    """
    return _as_arrays(TRAINING_PEOPLE)


def prediction_data() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The two people asked about after training: X (2, 2), their genders y (2,), the names."""
    return _as_arrays(PREDICTION_PEOPLE)


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """XOR, the classic set no single perceptron can learn: X (4, 2) of 0/1, y (4,) = x1 xor x2.

    >>> X, y = xor_data()
    >>> y.tolist()
    [0, 1, 1, 0]
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y
