"""The tutorial pages run: every ```python block executes in order and prints what it shows."""

import doctest
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["tutorial.md", "tutorial.zh.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# the seed's chapters, in its order, as the headings of both pages name them
CHAPTERS = {
    "tutorial.md": ["perceptron", "neuron", "activations", "feedforward", "loss",
                    "backpropagation", "training"],
    "tutorial.zh.md": ["感知机", "神经元", "激活函数", "前向传播", "损失", "反向传播", "训练"],
}


def code_blocks(page):
    """(language, code, line number) of every fenced block of the page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return [
        (match.group(1), match.group(2), text.count("\n", 0, match.start()) + 2)
        for match in FENCE.finditer(text)
    ]


def examples(page):
    parser = doctest.DocTestParser()
    return [
        parser.get_examples(code) for language, code, _ in code_blocks(page) if language == "python"
    ]


@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_runs_and_prints_what_the_page_shows(page):
    parser, globs = doctest.DocTestParser(), {}
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    blocks = [(code, line) for language, code, line in code_blocks(page) if language == "python"]
    assert len(blocks) >= 15
    report = []
    for code, line in blocks:
        test = parser.get_doctest(code, {}, f"{page}, block at line {line}", str(DOCS / page), line)
        test.globs = globs  # one namespace for the page: later blocks use earlier names
        assert test.examples, f"{page}: the python block at line {line} has no >>> example"
        runner.run(test, out=report.append, clear_globs=False)
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("page", PAGES)
def test_only_python_and_shell_blocks(page):
    languages = {language for language, _, _ in code_blocks(page)}
    assert languages <= {"python", "text"}


@pytest.mark.parametrize("page", PAGES)
def test_chapters_follow_the_seed_in_order(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    headings = [line.lower() for line in text.splitlines() if line.startswith("## ")]
    assert len(headings) == 7
    for heading, keyword in zip(headings, CHAPTERS[page], strict=True):
        assert keyword in heading


def strip_comment(source):
    return re.sub(r"\s+#[^\n\"']*$", "", source.rstrip("\n"), flags=re.M)


def test_both_languages_run_the_same_code_and_show_the_same_output():
    english, chinese = examples("tutorial.md"), examples("tutorial.zh.md")
    assert len(english) == len(chinese)
    for block_en, block_zh in zip(english, chinese, strict=True):
        assert [strip_comment(e.source) for e in block_en] == [
            strip_comment(e.source) for e in block_zh
        ]
        assert [e.want for e in block_en] == [e.want for e in block_zh]
