"""``glassnet demo``: trains the tutorial network, prints its story, writes the loss curve."""

import subprocess
import sys

import numpy as np
import pytest

from glassnet.cli import command_names, main
from glassnet.tutorial import ALICE, TrainableNetwork
from glassnet.tutorial.network import RECORD_EVERY


def run_demo(capsys, *options):
    code = main(["demo", "--no-progress", *options])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def count_calls(monkeypatch, cls, method):
    """A list that gets one entry per call of cls.method while the test runs."""
    calls = []
    original = getattr(cls, method)

    def counted(self, *args, **kwargs):
        calls.append(method)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, counted)
    return calls


def test_default_demo_trains_predicts_and_explains(capsys, monkeypatch):
    gradient_steps = count_calls(monkeypatch, TrainableNetwork, "gradients")
    forward_passes = count_calls(monkeypatch, TrainableNetwork, "forward_pass")
    code, out, _ = run_demo(capsys)
    assert code == 0
    # its work, counted rather than timed: one gradient per person per epoch, plus the one
    # checked by hand; a forward pass for each of them, for each person whenever the loss is
    # recorded (every RECORD_EVERY epochs), and for Emily and Frank
    epochs, people = 1000, 4
    assert len(gradient_steps) == epochs * people + 1
    assert len(forward_passes) == len(gradient_steps) + people * epochs // RECORD_EVERY + 2
    lines = out.splitlines()
    table = [line.split() for line in lines if line.strip().startswith("Epoch")]
    assert [int(row[1]) for row in table] == list(range(0, 1000, 100))
    losses = [float(row[-1]) for row in table]
    assert losses[-1] < losses[0] / 10
    emily = next(line for line in lines if line.strip().startswith("Emily"))
    frank = next(line for line in lines if line.strip().startswith("Frank"))
    assert float(emily.split()[-3]) > 0.9 and emily.endswith("-> F")
    assert float(frank.split()[-3]) < 0.1 and frank.endswith("-> M")


def test_the_explained_gradient_is_the_networks(capsys):
    code, out, _ = run_demo(capsys, "--epochs", "20", "--seed", "7")
    assert code == 0
    expected = TrainableNetwork(seed=7).gradients(ALICE.features, ALICE.female)["w1"]
    chain = next(line for line in out.splitlines() if line.startswith("∂L/∂w1 = "))
    assert chain.startswith("∂L/∂w1 = ∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂w1 = (")
    assert float(chain.rsplit("= ", 1)[1]) == pytest.approx(expected, rel=1e-3)
    check = next(line for line in out.splitlines() if "by hand" in line).split()
    assert float(check[3]) == pytest.approx(expected, rel=1e-11)
    assert float(check[-1]) == pytest.approx(expected, rel=1e-11)


def test_options_change_the_training(capsys):
    _, short, _ = run_demo(capsys, "--epochs", "150", "--learn-rate", "0.3", "--seed", "2")
    assert "Training: 150 epochs, learn rate 0.3, seed 2" in short
    assert [line.split()[1] for line in short.splitlines() if "Epoch" in line] == ["0", "100"]
    _, again, _ = run_demo(capsys, "--epochs", "150", "--learn-rate", "0.3", "--seed", "2")
    assert again.splitlines()[:-1] == short.splitlines()[:-1]  # all but the timing line
    _, other, _ = run_demo(capsys, "--epochs", "150", "--learn-rate", "0.3", "--seed", "3")
    assert other != short


def test_plot_writes_a_png_of_the_loss_curve(capsys, tmp_path):
    import matplotlib.image

    path = tmp_path / "loss.png"
    code, out, _ = run_demo(capsys, "--epochs", "100", "--plot", str(path))
    assert code == 0 and f"Loss curve written to {path}" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert np.ptp(pixels[..., :3]) > 0.5  # something is drawn, not a blank canvas


def test_an_unwritable_plot_path_fails_with_a_message(capsys, tmp_path):
    code, _, err = run_demo(capsys, "--epochs", "10", "--plot", str(tmp_path / "no" / "x.png"))
    assert code == 1
    assert err.startswith("glassnet demo: error:")


def test_missing_matplotlib_says_how_to_install_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    code, _, err = run_demo(capsys, "--epochs", "10", "--plot", str(tmp_path / "x.png"))
    assert code == 1
    assert "glassnet.plot needs matplotlib: pip install 'glassnet[plot]'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--epochs", "0"], "expected a number >= 1, got 0"),
        (["demo", "--learn-rate", "-1"], "expected a number > 0, got -1"),
        (["demo", "--learn-rate", "fast"], "expected a number, got 'fast'"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_bad_usage_returns_2_with_argparse_message(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().err


def test_commands_are_discovered_from_the_package():
    assert command_names()[0] == "demo"
    assert all(not name.startswith("_") for name in command_names())


def test_python_dash_m_glassnet_runs_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "demo", "--epochs", "30", "--no-progress"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "∂L/∂w1 = ∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂w1" in result.stdout
    assert "Emily" in result.stdout and "Frank" in result.stdout
