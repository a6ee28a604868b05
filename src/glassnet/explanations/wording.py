"""The words of an explanation, in English and in Chinese: one table of phrases.

An explanation keeps its sentences as ``Words``: a str holding the English text, which also
remembers its phrase and values, so that ``Explanation.format(language="zh")`` can say the same
sentence, with the same numbers and names, in Chinese. Symbols (∂L/∂z1, Σ, σ′, W2[m, 1]) and
op names (linear, binary_cross_entropy) are the same in both.

    >>> words = Words("sum_over_samples", count=3, inner="∂L/∂z1[n, 0]")
    >>> words
    'Σ over 3 samples n of ∂L/∂z1[n, 0]'
    >>> say(words, "zh")
    '对 3 个样本 n 求和 ∂L/∂z1[n, 0]'
"""

from __future__ import annotations

import string
from typing import Any, ClassVar

LANGUAGES = ("en", "zh")

# key: (English, Chinese). A value may itself be Words, said in the same language.
PHRASES: dict[str, tuple[str, str]] = {
    # what a layer's sum runs over
    "sum_over_samples": ("Σ over {count} samples n of {inner}", "对 {count} 个样本 n 求和 {inner}"),
    "sum_over_units": ("Σ over {count} units m of {inner}", "对 {count} 个单元 m 求和 {inner}"),
    "sum_over_positions": ("Σ over {count} positions {positions} of {inner}",
                           "对 {count} 个位置 {positions} 求和 {inner}"),
    "sum_over_places": ("Σ over the {count} places ({where}) whose index is {row} of {inner}",
                        "对索引为 {row} 的 {count} 个位置 ({where}) 求和 {inner}"),
    "sum_over_scaled": ("Σ over the {count} elements it scales of {inner}",
                        "对它缩放的 {count} 个元素求和 {inner}"),
    "sum_over_shifted": ("Σ over the {count} elements it shifts of {inner}",
                         "对它平移的 {count} 个元素求和 {inner}"),
    "sum_over_time_steps": ("Σ over {steps} time steps t of Σ over {count} samples n of {inner}",
                            "对 {steps} 个时间步 t 求和,再对 {count} 个样本 n 求和 {inner}"),
    "samples": ("samples", "样本"),
    "units": ("units", "单元"),
    "positions": ("positions", "位置"),
    "places": ("places", "位置"),
    "largest_share": ("{over} {which} give {share} % of Σ|term|: {terms}",
                      "{over} {which} 占 Σ|项| 的 {share} %:{terms}"),
    "every_term_zero": ("every one of the {count} terms is 0", "全部 {count} 项都是 0"),
    # where a gradient comes from
    "handed_down": ("what {above}'s backward hands layer {number}",
                    "{above} 的反向传播交给第 {number} 层的值"),
    "the_output": ("the output", "输出"),
    "layer": ("layer {number}", "第 {number} 层"),
    "unit_slope": ("unit {unit}: {symbol} mean {mean} over {count} samples{zeros}",
                   "单元 {unit}:{symbol} 在 {count} 个样本上的均值为 {mean}{zeros}"),
    "zero_on": (", 0 on {count}", ",其中 {count} 个为 0"),
    "zero_padding": ("zero padding: the term is 0 unless {bounds}",
                     "零填充:除非 {bounds},否则该项为 0"),
    "padding_row": ("the padding row: it receives no gradient", "填充行:它不接收梯度"),
    "no_such_index": ("no index in the batch is {row}", "这批数据中没有等于 {row} 的索引"),
    # a recurrent weight: its sum over the time steps
    "row_feeds": ("row {row} feeds {gate} of unit {unit} ({layer} layer, {direction})",
                  "第 {row} 行馈入单元 {unit} 的 {gate}({layer} 层,{direction})"),
    "forward_direction": ("forward direction", "正向"),
    "reverse_direction": ("reverse direction, t from last to first",
                          "反向,t 从最后一步到第一步"),
    "gate the pre-activation": ("the pre-activation", "预激活"),
    "gate r (reset gate)": ("r (reset gate)", "r(重置门)"),
    "gate z (update gate)": ("z (update gate)", "z(更新门)"),
    "gate n (candidate)": ("n (candidate)", "n(候选状态)"),
    "gate i (input gate)": ("i (input gate)", "i(输入门)"),
    "gate f (forget gate)": ("f (forget gate)", "f(遗忘门)"),
    "gate g (cell candidate)": ("g (cell candidate)", "g(候选细胞状态)"),
    "gate o (output gate)": ("o (output gate)", "o(输出门)"),
    "every_step_zero": ("every one of the {count} steps gives 0", "全部 {count} 个时间步都给出 0"),
    "largest_steps": ("largest steps: {terms}", "最大的时间步:{terms}"),
    "steps_share": ("the {shown} largest of {count} give {share} % of Σ|term|",
                    "{count} 步中最大的 {shown} 步占 Σ|项| 的 {share} %"),
    # paths and terms
    "path_count": ("{count} path", "{count} 条路径"),
    "paths_count": ("{count} paths", "{count} 条路径"),
    "grouped_by_name": ("grouped by named tensor", "按命名张量分组"),
    "grouped_by_use": ("grouped by each use of {wrt}", "按 {wrt} 的每次使用分组"),
    "grouped_header": ("{label}: {paths}, {grouping} into {count} terms",
                       "{label}:{paths},{grouping}为 {count} 项"),
    "does_not_reach": ("{wrt} does not reach {output}", "{wrt} 到达不了 {output}"),
    "one_path_ops": ("one path, {count} ops: {ops}", "一条路径,{count} 个运算:{ops}"),
    "more_terms": ("… {count} more terms (the smallest), together {total}",
                   "… 另外 {count} 项(最小的),合计 {total}"),
    "sum_of_terms": ("sum of {count} terms", "{count} 项之和"),
    "where": ("where {factor} = {chain} = {values}", "其中 {factor} = {chain} = {values}"),
    "via": ("[via {route}]", "[经由 {route}]"),
    # a whole tensor: sizes per layer
    "whole_tensor": ("{label} over its {shape} elements: {size}   (pass index= for one "
                     "element's chain)",
                     "{label} 在它的 {shape} 个元素上:{size}   (传入 index= 查看单个元素的"
                     "链式法则)"),
    "no_path": ("no path", "没有路径"),
    "through_no_layer": ("{reach} from {output}, through no Linear layer",
                         "从 {output} 出发{reach},不经过任何 Linear 层"),
    "farthest_factor": ("the factor farthest from 1: {what} (× {gain})",
                        "离 1 最远的因子:{what}(× {gain})"),
    "activation_at": ("{symbol} at layer {number}", "第 {number} 层的 {symbol}"),
    "weight_at": ("{weight}ᵀ at layer {number}", "第 {number} 层的 {weight}ᵀ"),
    "layer_line": ("  layer {number} ({kind}): ∂L/∂{output} {size}   (from {above})",
                   "  第 {number} 层({kind}):∂L/∂{output} {size}   (来自 {above})"),
    "size": ("RMS {rms}, max |·| {largest}", "RMS {rms},最大 |·| {largest}"),
    "slope_mean": ("{symbol}(z) mean {mean} over {units} units and {samples} samples",
                   "{symbol}(z) 在 {units} 个单元、{samples} 个样本上的均值为 {mean}"),
    "slope_dead": ("; {symbol} = 0 for {dead} of {units} units on every sample",
                   ";{units} 个单元中有 {dead} 个在每个样本上 {symbol} = 0"),
    "slope_small": ("; {small} of {units} units below {below} on average",
                    ";{units} 个单元中有 {small} 个的平均值低于 {below}"),
}


class Words(str):
    """A phrase of ``phrases`` with its values: the English text as a str, sayable in Chinese.
    A subclass speaks from another table (``phrases``), with the same two languages."""

    phrases: ClassVar[dict[str, tuple[str, str]]] = PHRASES
    key: str
    values: dict[str, Any]

    def __new__(cls, key: str, **values: Any) -> Words:
        text = super().__new__(cls, cls.phrases[key][0].format(**values))
        text.key, text.values = key, values
        return text

    def say(self, language: str) -> str:
        """This phrase in ``language`` ("en" or "zh"), its Words values said in it too."""
        template = self.phrases[self.key][LANGUAGES.index(checked_language(language))]
        return template.format(**{name: say(value, language)
                                  for name, value in self.values.items()})

    def __reduce__(self) -> tuple[Any, ...]:  # copy and deepcopy keep the phrase
        return _rebuild, (type(self), self.key, self.values)


def _rebuild(cls: type[Words], key: str, values: dict[str, Any]) -> Words:
    return cls(key, **values)


class Joined(str):
    """Items (Words or plain text) joined with a separator of each language, e.g. "; " and ";"."""

    items: list[Any]
    separators: tuple[str, str]

    def __new__(cls, items: list[Any], separators: tuple[str, str] = ("; ", ";")) -> Joined:
        text = super().__new__(cls, separators[0].join(items))
        text.items, text.separators = list(items), separators
        return text

    def say(self, language: str) -> str:
        separator = self.separators[LANGUAGES.index(checked_language(language))]
        return separator.join(str(say(item, language)) for item in self.items)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.items, self.separators)


def gate_words(name: str) -> str:
    """A recurrent op's gate name (its ``gate_names``) as Words when the table has it."""
    return Words(f"gate {name}") if f"gate {name}" in PHRASES else name


def say(value: Any, language: str) -> Any:
    """``value`` in ``language`` when it is Words (or Joined); anything else as it is."""
    return value.say(language) if isinstance(value, (Words, Joined)) else value


def checked_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(map(repr, LANGUAGES))}; "
                         f"got {language!r}.")
    return language


def placeholders(template: str) -> set[str]:
    """The {names} a template fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
