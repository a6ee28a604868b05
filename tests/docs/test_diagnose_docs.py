"""docs/diagnose.md runs: every ```python block executes in order and prints what it shows."""

import doctest
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "diagnose.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def python_blocks():
    """(code, line number) of every ```python block of the page."""
    text = PAGE.read_text(encoding="utf-8")
    return [(match.group(2), text.count("\n", 0, match.start()) + 2)
            for match in FENCE.finditer(text) if match.group(1) == "python"]


def test_every_python_block_runs_and_prints_what_the_page_shows():
    parser, globs = doctest.DocTestParser(), {}
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    blocks = python_blocks()
    assert len(blocks) >= 8
    report = []
    for code, line in blocks:
        test = parser.get_doctest(code, {}, f"diagnose.md, block at line {line}", str(PAGE), line)
        test.globs = globs  # one namespace for the page: later blocks use earlier names
        assert test.examples, f"diagnose.md: the python block at line {line} has no >>> example"
        runner.run(test, out=report.append, clear_globs=False)
    assert runner.failures == 0, "".join(report)


def test_the_page_diagnoses_both_mistakes_and_their_fixes():
    text = PAGE.read_text(encoding="utf-8")
    for code in ("learning_rate_too_high", "saturated_activations", "unscaled_inputs",
                 "constant_predictions", "No problems found"):
        assert code in text
    assert text.count("confirm=True") >= 3
