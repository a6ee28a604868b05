"""Sessions: batches fixed in advance, expiry, one request at a time, threads apart."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from glassnet.playground.config import ConfigError, parse_config
from glassnet.playground.network import linear_layers
from glassnet.playground.routes import RequestError, Sessions, holding
from glassnet.playground.session import Session


def weights_of(session: Session) -> list[np.ndarray]:
    return [parameter.data.copy() for parameter in session.model.parameters()]


def test_sessions_expire_after_a_minute_without_a_request():
    now = [0.0]
    sessions = Sessions(clock=lambda: now[0])
    first, _ = sessions.create({"dataset": "xor"})
    now[0] = 30.0
    second, _ = sessions.create({"dataset": "xor"})
    now[0] = 61.0  # first idle for 61 s, second for 31 s
    sessions.expire()
    with pytest.raises(RequestError) as missing:
        sessions.get(first)
    assert missing.value.status == 404
    sessions.get(second)  # touched now: lives another minute
    now[0] = 120.0
    assert len(sessions) == 1
    now[0] = 122.0
    sessions.expire()
    assert len(sessions) == 0


def test_a_busy_session_answers_409():
    session = Session(parse_config({"dataset": "xor"}))
    with holding(session), pytest.raises(RequestError) as busy, holding(session):
        pass
    assert busy.value.status == 409


def test_two_sessions_training_in_threads_do_not_interfere():
    configs = [{"dataset": "spirals", "hidden": [6, 6], "seed": 1},
               {"dataset": "circles", "hidden": [3], "seed": 2, "optimizer": "adam"}]
    alone = []
    for config in configs:
        session = Session(parse_config(config))
        session.train(60)
        alone.append(weights_of(session))
    together = [Session(parse_config(config)) for config in configs]
    threads = [threading.Thread(target=session.train, args=(60,)) for session in together]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for expected, session in zip(alone, together, strict=True):
        for left, right in zip(expected, weights_of(session), strict=True):
            np.testing.assert_array_equal(left, right)


def test_each_epoch_visits_every_training_row_once_in_batches():
    session = Session(parse_config({"dataset": "xor", "batch_size": 7, "test_ratio": 0.5}))
    seen = []
    while session.epoch == 0:
        seen.extend(session.next_batch.tolist())
        session.step()
    assert sorted(seen) == session.dataset.train_rows.tolist()


def test_whole_set_batches_are_the_training_rows():
    session = Session(parse_config({"dataset": "circles", "batch_size": "all"}))
    assert session.next_batch.tolist() == session.dataset.train_rows.tolist()
    session.step()
    assert session.epoch == 1


def test_people_start_from_the_tutorials_weights():
    from glassnet.tutorial import TrainableNetwork

    session = Session(parse_config({"dataset": "people", "hidden": [2],
                                    "activation": "sigmoid", "seed": 3}))
    p = TrainableNetwork(seed=3).parameters()
    hidden, output = linear_layers(session.model)
    np.testing.assert_array_equal(hidden.weight.data,
                                  np.float32([[p["w1"], p["w2"]], [p["w3"], p["w4"]]]))
    np.testing.assert_array_equal(output.bias.data, np.float32([p["b3"]]))
    assert session.dataset.row_names == ["Alice", "Bob", "Charlie", "Diana", "Emily", "Frank"]
    assert session.dataset.test_rows.tolist() == [4, 5]


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_diverging_network_stops_before_a_nonfinite_update():
    session = Session(parse_config({"dataset": "regression", "learning_rate": 10,
                                    "hidden": [8, 8, 8], "activation": "relu"}))
    session.train(200)
    assert session.diverged is not None
    steps = session.step_count
    session.train(5)
    assert session.step_count == steps


@pytest.mark.parametrize("raw", [
    {"dataset": "csv"},  # no table uploaded: refused when the session is built
])
def test_csv_without_a_table_is_refused(raw):
    with pytest.raises(ConfigError, match="upload"):
        Session(parse_config(raw))


@pytest.mark.parametrize("raw, word", [
    ({"classes": 5}, "classes"), ({"noise": 0.6}, "noise"), ({"test_ratio": 0.05}, "test_ratio"),
    ({"hidden": [1] * 7}, "hidden"), ({"activation": "gelu"}, "activation"),
    ({"regularization_rate": 2}, "regularization_rate"), ({"seed": -1}, "seed"),
    ({"features": ["a"], "dataset": "csv"}, "features"), ({"seed": float("nan")}, "seed"),
])
def test_config_values_outside_their_bounds_are_refused(raw, word):
    with pytest.raises(ConfigError, match=word):
        parse_config(raw)
