"""The tutorial's people: shifted by 135 lb and 66 in, female = 1."""

import numpy as np

from glassnet.tutorial import (
    ALICE,
    BOB,
    CHARLIE,
    DIANA,
    EMILY,
    FRANK,
    Person,
    gender_data,
    prediction_data,
    xor_data,
)

# (name, pounds, inches, female) as in the original's table before shifting
MEASUREMENTS = [
    ("Alice", 133, 65, 1),
    ("Bob", 160, 72, 0),
    ("Charlie", 152, 70, 0),
    ("Diana", 120, 60, 1),
    ("Emily", 128, 63, 1),
    ("Frank", 155, 68, 0),
]


def test_constants_are_the_shifted_measurements():
    people = [ALICE, BOB, CHARLIE, DIANA, EMILY, FRANK]
    for person, (name, pounds, inches, female) in zip(people, MEASUREMENTS, strict=True):
        assert person == Person.from_measurements(name, pounds, inches, female)


def test_gender_data_arrays():
    X, y, names = gender_data()
    assert names == ["Alice", "Bob", "Charlie", "Diana"]
    assert X.dtype == np.float64 and X.shape == (4, 2)
    np.testing.assert_array_equal(X, [[-2, -1], [25, 6], [17, 4], [-15, -6]])
    np.testing.assert_array_equal(y, [1, 0, 0, 1])


def test_prediction_data_arrays():
    X, y, names = prediction_data()
    assert names == ["Emily", "Frank"]
    np.testing.assert_array_equal(X, [[-7, -3], [20, 2]])
    np.testing.assert_array_equal(y, [1, 0])


def test_xor_labels_are_xor_of_the_inputs():
    X, y = xor_data()
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))
