"""The README's Python blocks run as a new user pastes them: they print what their comments say,
write the files they name, and warn of nothing."""

import doctest
import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def block_with(marker: str) -> str:
    """The one python block of the README that contains ``marker``."""
    found = [block for block in python_blocks() if marker in block]
    assert len(found) == 1, f"expected one README python block with {marker!r}; found {len(found)}"
    return found[0]


def printed_per_comments(code: str) -> list[str]:
    """What each `print(...)  # shown` line of a block says it prints."""
    return [line.split("#", 1)[1].strip() for line in code.splitlines()
            if line.startswith("print(") and "#" in line]  # fmt: skip


def run_quietly(code: str, namespace: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning in a README example is a bug in the example
        exec(compile(code, str(README), "exec"), namespace)


@pytest.fixture
def quick_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the blocks write their files where the user runs them
    return block_with("gn.fit("), {}


def test_the_quick_start_prints_what_it_says_and_saves_the_model(quick_start, capsys, tmp_path):
    code, namespace = quick_start
    run_quietly(code, namespace)
    assert capsys.readouterr().out.splitlines() == printed_per_comments(code)
    assert (tmp_path / "xor.safetensors").stat().st_size > 0
    run_quietly(block_with("optimizer.zero_grad()"), namespace)  # the loop, written out
    assert namespace["loss"].item() < 0.5


def test_the_sklearn_block_fits_without_warnings_and_exports_onnx(quick_start, tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("onnx")
    code, namespace = quick_start
    run_quietly(code, namespace)
    run_quietly(block_with("NeuralNetClassifier"), namespace)
    assert (tmp_path / "clf.onnx").stat().st_size > 0


def test_the_explain_example_prints_what_it_shows():
    code = block_with(">>> print(gn.explain(")
    test = doctest.DocTestParser().get_doctest(code, {}, "README explain", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False) == doctest.TestResults(failed=0, attempted=6)
