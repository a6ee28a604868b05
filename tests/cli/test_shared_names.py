"""``glassnet train`` takes every activation and optimizer name of glassnet's shared tables
(``nn.ACTIVATIONS``, ``optim.OPTIMIZERS``), lists them when refusing one, and builds its
network with ``nn.mlp`` under the weight names saved files have ("0.weight", "2.weight", …)."""

from __future__ import annotations

import pytest

from glassnet import nn, optim
from glassnet.cli import main
from glassnet.io import load_bundle

QUICK = ["--epochs", "1", "--verbose", "0", "--val-split", "0"]


@pytest.mark.parametrize("option, table", [("--activation", nn.ACTIVATIONS),
                                           ("--optimizer", optim.OPTIMIZERS)])
def test_an_unknown_name_is_refused_with_every_name_of_the_table(option, table, capsys,
                                                                 tmp_path, iris_csv):
    status = main(["train", str(iris_csv), "--target", "species", "--out",
                   str(tmp_path / "m.st"), option, "bogus"])
    assert status == 2
    error = capsys.readouterr().err
    assert f"argument {option}: invalid choice: 'bogus'" in error
    assert ", ".join(repr(name) for name in table) in error


@pytest.mark.parametrize("activation", ["identity", "logistic"])  # scikit-learn's names
def test_the_estimators_activation_names_train_too(activation, capsys, tmp_path, iris_csv):
    out = tmp_path / "m.st"
    status = main(["train", str(iris_csv), "--target", "species", "--out", str(out),
                   "--hidden", "6,5", "--activation", activation, *QUICK])
    assert status == 0, capsys.readouterr().err
    model = load_bundle(out).model
    layer = nn.ACTIVATIONS[activation]
    assert [type(m) for m in model] == [nn.Linear, layer, nn.Linear, layer, nn.Linear]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias",
                                        "4.weight", "4.bias"]
    assert f"Network: 4 -> 6 -> 5 -> 3 ({activation})" in capsys.readouterr().out


@pytest.mark.parametrize("optimizer", list(optim.OPTIMIZERS))
def test_every_optimizer_name_trains(optimizer, capsys, tmp_path, iris_csv):
    status = main(["train", str(iris_csv), "--target", "species", "--out",
                   str(tmp_path / "m.st"), "--hidden", "4", "--optimizer", optimizer, *QUICK])
    assert status == 0, capsys.readouterr().err
    assert f"; {optimizer} lr " in capsys.readouterr().out
