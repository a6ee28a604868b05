"""Explanations in Chinese: the sentences, numbers and names of the English, no English words."""

from __future__ import annotations

import copy
import re
from collections import Counter

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.explanations.wording import PHRASES, Words, placeholders, say

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")
WORD = re.compile(r"[A-Za-z]{2,}")
KEPT = {"Linear", "RMS", "index"}  # what a Chinese sentence keeps as written


def english_words() -> set[str]:
    """The words the English templates add (not their {values}), less the names Chinese keeps."""
    def words(template: str) -> set[str]:
        return set(WORD.findall(re.sub(r"\{\w+\}", " ", template)))
    return set().union(*(words(en) for en, _ in PHRASES.values())) - KEPT


ENGLISH = english_words()


def assert_said_in_chinese(explanation: gn.explanations.Explanation, **options: object) -> str:
    english = explanation.format(**options)
    chinese = explanation.format(language="zh", **options)
    assert CJK.search(chinese), chinese
    left = sorted(w for w in ENGLISH if re.search(rf"\b{w}\b", chinese))
    assert not left, f"English words {left} in:\n{chinese}"
    # the same numbers (and names with numbers: z1, W2[m, 1]) in both, as many times
    assert Counter(NUMBER.findall(chinese)) == Counter(NUMBER.findall(english)), (english, chinese)
    return chinese


def test_every_phrase_is_written_in_both_languages_with_the_same_values():
    assert len(ENGLISH) > 40  # the check above has something to find
    for key, (english, chinese) in PHRASES.items():
        assert placeholders(english) == placeholders(chinese), key
        assert CJK.search(chinese) and not CJK.search(english), key


def test_words_are_the_english_text_and_say_their_values_in_the_same_language():
    inner = Words("layer", number=2)
    words = Words("handed_down", above=Words("the_output"), number=inner.values["number"])
    assert words == "what the output's backward hands layer 2" and isinstance(words, str)
    assert say(words, "zh") == "输出 的反向传播交给第 2 层的值"
    assert say("linear", "zh") == "linear"  # a plain str (an op's name) stays as it is
    assert copy.deepcopy(words).say("zh") == words.say("zh")
    with pytest.raises(ValueError, match="language must be one of 'en', 'zh'; got 'fr'"):
        words.say("fr")


def mlp_loss() -> tuple[nn.Sequential, gn.Tensor]:
    gn.manual_seed(0)
    return mlp_loss_of(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid()))


def mlp_loss_of(model: nn.Sequential) -> tuple[nn.Sequential, gn.Tensor]:
    x = np.array([[0, 1], [1, 0], [1, 1], [-1, -1]], dtype=np.float32)
    y = np.array([[1], [1], [0], [0]], dtype=np.float32)
    return model, F.binary_cross_entropy(model(x), y)


def test_a_linear_chain_and_a_whole_weight_read_in_chinese():
    model, loss = mlp_loss()
    chain = assert_said_in_chinese(gn.explain(loss, model[0].weight, (1, 0)), steps=True)
    assert "个样本 n 求和" in chain and "的反向传播交给第 2 层的值" in chain
    summary = assert_said_in_chinese(gn.explain(loss, model[0].weight))
    assert "离 1 最远的因子" in summary and "第 1 层(linear 3×2 + relu)" in summary
    assert "个单元 m 求和" in assert_said_in_chinese(gn.explain(loss, model[0].bias, (1,)))
    model[0].weight.data[2], model[0].bias.data[2] = 0.0, -1.0  # unit 2 of layer 1: dead
    _, dead = mlp_loss_of(model)
    assert "个在每个样本上 ReLU′ = 0" in assert_said_in_chinese(gn.explain(dead, model[0].weight))
    w = gn.tensor(np.ones(3), requires_grad=True, name="w")
    assert "不经过任何 Linear 层" in assert_said_in_chinese(gn.explain((w * w).sum(), w))
    with pytest.raises(ValueError, match="language must be one of"):
        gn.explain(loss, model[0].weight, (1, 0)).format(language="chinese")


def test_paths_their_steps_and_groups_read_in_chinese():
    w = gn.tensor(0.5, requires_grad=True, dtype="float64", name="w")
    h = (w * 2.0).sigmoid()
    h.name = "h"
    twice = assert_said_in_chinese(gn.explain(h * h, w), steps=True)
    assert "2 条路径" in twice and "经由" in twice
    x = gn.tensor(0.3, requires_grad=True, dtype="float64", name="x")
    y = x
    for _ in range(7):  # 2⁷ paths through x, more than max_terms: grouped, the rest summed
        y = y * y + y
    by_name = assert_said_in_chinese(gn.explain(y, x, max_terms=4), max_terms=2)
    assert "按命名张量分组为 3 项" in by_name and "另外 1 项(最小的),合计" in by_name
    by_use = assert_said_in_chinese(gn.explain(y, x, max_terms=2))
    assert "按 x 的每次使用分组" in by_use
    folded = x
    for _ in range(5):  # ten unnamed ops on one path: folded into one factor
        folded = (folded * 1.1).tanh()
    assert "一条路径,10 个运算" in assert_said_in_chinese(gn.explain(folded, x))
    apart = gn.tensor(2.0, requires_grad=True, name="b")
    assert "(b 到达不了 L)" in assert_said_in_chinese(gn.explain(x * 2.0, apart))


def test_convolution_recurrent_embedding_and_normalization_read_in_chinese():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    conv = nn.Conv1d(1, 2, 3, padding=1)
    output = conv(rng.standard_normal((2, 1, 5)).astype(np.float32))
    loss = F.mse_loss(output, np.zeros(output.shape, np.float32))  # an op name of no phrase
    padded = assert_said_in_chinese(gn.explain(loss, conv.weight, (0, 0, 1)))
    assert "零填充" in padded
    gru = nn.GRU(2, 3)
    out, _ = gru(rng.standard_normal((4, 2, 2)).astype(np.float32))
    steps = assert_said_in_chinese(gn.explain(out.sum(), gru.weight_ih_l0, (1, 0)))
    assert "r(重置门)" in steps and "正向" in steps
    embedding = nn.Embedding(5, 2, padding_idx=0)
    looked_up = embedding(np.array([[1, 2], [1, 4]])).sum()
    assert "没有等于 3 的索引" in assert_said_in_chinese(gn.explain(looked_up, embedding.weight,
                                                                     (3, 1)))
    assert "对索引为 1 的 2 个位置" in assert_said_in_chinese(
        gn.explain(looked_up, embedding.weight, (1, 0)))
    assert "填充行:它不接收梯度" in assert_said_in_chinese(
        gn.explain(looked_up, embedding.weight, (0, 0)))
    norm = nn.BatchNorm1d(3)
    normalized = (norm(gn.tensor(rng.standard_normal((4, 3)).astype(np.float32))) ** 2).sum()
    assert "对它缩放的 4 个元素求和" in assert_said_in_chinese(gn.explain(normalized, norm.weight,
                                                                          (1,)))
