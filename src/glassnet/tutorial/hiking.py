"""The tutorial's perceptron example: should you go hiking this weekend?

Three yes/no inputs, each encoded so that 1 is the answer that favours going:

=====================  =========================================================  ======
input                  the text's factor, and its encoding                        weight
=====================  =========================================================  ======
``free_of_overtime``   (1) 周末是否加班, overtime at the weekend: 1 = no overtime      8
``good_weather``       (2) 天气是否恶劣, bad weather: 1 = not bad (the text's own)    10
``convenient_trip``    (3) 往返是否方便, getting there and back: 1 = convenient         1
=====================  =========================================================  ======

The text binarises only the weather explicitly (天气不恶劣 = 1); the other two follow the same
convention, so that every weight is a reason *for* going. Go (output 1) when the weighted sum
is greater than the threshold 5:

    go = 1  if  8 * free_of_overtime + 10 * good_weather + 1 * convenient_trip > 5

Either of the first two alone clears the threshold and the third never can, so this hiker goes
exactly when the weekend is free or the weather is good.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from glassnet.tutorial.perceptron import Perceptron

HIKING_INPUT_NAMES: tuple[str, str, str] = ("free_of_overtime", "good_weather", "convenient_trip")
HIKING_WEIGHTS: tuple[float, float, float] = (8.0, 10.0, 1.0)
HIKING_THRESHOLD: float = 5.0


def hiking_perceptron() -> Perceptron:
    """The tutorial's hiker: weights (8, 10, 1) on ``HIKING_INPUT_NAMES``, threshold 5.

    >>> hiker = hiking_perceptron()
    >>> hiker.predict([0, 1, 0])  # working overtime, but the weather is good
    1
    >>> hiker.predict([0, 0, 1])  # working overtime in bad weather, even if the trip is easy
    0
    """
    return Perceptron(HIKING_WEIGHTS, threshold=HIKING_THRESHOLD)


def hiking_decision(*, free_of_overtime: bool, good_weather: bool, convenient_trip: bool) -> int:
    """The tutorial hiker's decision with the inputs named: 1 = go hiking, 0 = stay home.

    >>> hiking_decision(free_of_overtime=True, good_weather=False, convenient_trip=False)
    1
    """
    inputs = [int(free_of_overtime), int(good_weather), int(convenient_trip)]
    return int(hiking_perceptron().predict(inputs))


class Weekend(NamedTuple):
    """One remembered weekend: the three inputs and whether the hiker went (1) or not (0)."""

    free_of_overtime: int
    good_weather: int
    convenient_trip: int
    went_hiking: int


# Twelve weekends of the tutorial's hiker, every combination of inputs at least once; the
# decisions follow the hiker's rule (free weekend or good weather), so a perceptron can learn it.
PAST_WEEKENDS: tuple[Weekend, ...] = (
    Weekend(free_of_overtime=1, good_weather=1, convenient_trip=1, went_hiking=1),
    Weekend(free_of_overtime=0, good_weather=0, convenient_trip=1, went_hiking=0),
    Weekend(free_of_overtime=1, good_weather=0, convenient_trip=0, went_hiking=1),
    Weekend(free_of_overtime=0, good_weather=1, convenient_trip=0, went_hiking=1),
    Weekend(free_of_overtime=0, good_weather=0, convenient_trip=0, went_hiking=0),
    Weekend(free_of_overtime=1, good_weather=1, convenient_trip=0, went_hiking=1),
    Weekend(free_of_overtime=0, good_weather=1, convenient_trip=1, went_hiking=1),
    Weekend(free_of_overtime=1, good_weather=0, convenient_trip=1, went_hiking=1),
    Weekend(free_of_overtime=0, good_weather=0, convenient_trip=1, went_hiking=0),
    Weekend(free_of_overtime=1, good_weather=1, convenient_trip=1, went_hiking=1),
    Weekend(free_of_overtime=0, good_weather=0, convenient_trip=0, went_hiking=0),
    Weekend(free_of_overtime=0, good_weather=1, convenient_trip=1, went_hiking=1),
)


def past_weekends() -> tuple[np.ndarray, np.ndarray]:
    """``PAST_WEEKENDS`` as arrays: X (12, 3) in ``HIKING_INPUT_NAMES`` order, y (12,) of 0/1.

    A perceptron started from zeros learns weights that reproduce these decisions (not the
    same numbers as 8, 10, 1: any weights that separate the examples will do).

    >>> X, y = past_weekends()
    >>> learner = Perceptron.zeros(3).fit(X, y)
    >>> learner.converged_, bool((learner.predict(X) == y).all())
    (True, True)
    """
    X = np.array([weekend[:3] for weekend in PAST_WEEKENDS], dtype=np.float64)
    y = np.array([weekend.went_hiking for weekend in PAST_WEEKENDS], dtype=np.int64)
    return X, y
