"""A diagnosis in Chinese: every finding of every broken case, with the English one's numbers."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from cases import BROKEN, inputs_times_1000, lr_ten_on_blobs

import glassnet as gn
from glassnet.diagnosis.wording import PHRASES, DiagnosisWords
from glassnet.explanations.wording import Joined, Words, placeholders

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")
# a word, a name or a code as one token: dead_relu, model.parameters, restore_best_weights=True
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.'=/-]*[A-Za-z0-9]")
# what a Chinese sentence keeps as written: names of codes, APIs, functions and methods
KEPT = {"Adam", "EarlyStopping", "He/Glorot", "History", "LeakyReLU", "RMS", "ReLU", "True",
        "W1", "dead_relu", "detach", "dropout", "epoch", "forward", "gn.explain", "logits",
        "loss='cross_entropy", "lr", "max-norm", "model.parameters", "mse", "no_grad",
        "requires_grad", "requires_grad=False", "restore_best_weights=True",
        "saturated_activations", "sigmoid/tanh", "softmax", "unscaled_inputs", "z1"}


def value_words(text: object) -> set[str]:
    """The words a message took from its values (names, op and layer kinds, error texts)."""
    if isinstance(text, Words):
        return set().union(*(value_words(value) for value in text.values.values()))
    if isinstance(text, Joined):
        return set().union(*(value_words(item) for item in text.items))
    return set(TOKEN.findall(str(text)))


def assert_said_in_chinese(finding: gn.Finding) -> None:
    english, chinese = str(finding.message), finding.say("zh")
    assert CJK.search(chinese), chinese
    template_words = set(TOKEN.findall(english)) - value_words(finding.message) - KEPT
    left = sorted(template_words & set(TOKEN.findall(chinese)))
    assert not left, f"English words {left} in:\n{chinese}"
    # the same numbers as many times (the code and severity are the first line's, in both)
    assert Counter(NUMBER.findall(chinese)) == Counter(NUMBER.findall(english)), (english,
                                                                                  chinese)
    assert chinese.startswith(f"[{finding.severity}] {finding.code}:")


def test_every_phrase_is_written_in_both_languages_with_the_same_values():
    for key, (english, chinese) in PHRASES.items():
        assert placeholders(english) == placeholders(chinese), key
        assert CJK.search(chinese) or key in ("finding", "causes", "with_outcome"), key  # joins


@pytest.mark.parametrize("case", list(BROKEN), ids=lambda case: case.__name__)
def test_every_finding_of_a_broken_training_reads_in_chinese(case):
    diagnosis = gn.diagnose(**case())
    assert diagnosis.findings
    for finding in diagnosis.findings:
        assert isinstance(finding.message, DiagnosisWords), finding.code
        assert_said_in_chinese(finding)
    assert diagnosis.format(language="zh").count("\n\n") == len(diagnosis.findings) - 1


@pytest.mark.parametrize("case", [inputs_times_1000, lr_ten_on_blobs],
                         ids=lambda case: case.__name__)
def test_a_fix_tried_on_copies_reads_in_chinese(case):
    diagnosis = gn.diagnose(**case(), confirm=True)
    confirmed = [f for f in diagnosis.findings if "confirm" in f.evidence]
    assert confirmed
    for finding in confirmed:
        assert "Measured on copies" in finding.message
        assert "在副本上测量" in finding.say("zh")
        assert_said_in_chinese(finding)


def test_the_all_clear_and_a_message_read_back_from_a_file():
    from cases import healthy_moons

    clear = gn.diagnose(**healthy_moons())
    assert "没有发现问题" in clear.format(language="zh")
    assert str(clear) == clear.format(language="en") and "No problems found" in str(clear)
    plain = gn.Finding("dead_relu", "warning", "written by an older run")
    assert plain.say("zh") == "[warning] dead_relu:written by an older run"
    with pytest.raises(ValueError, match="language must be one of"):
        clear.format(language="de")
