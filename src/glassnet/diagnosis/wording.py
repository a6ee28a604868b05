"""The words of a diagnosis, in English and in Chinese: one table of phrases.

A finding's message is ``DiagnosisWords``: a str holding the English text that also remembers
its phrase and values, so ``Finding.say("zh")`` and ``Diagnosis.format(language="zh")`` say it
in Chinese with the same numbers, names and codes. The mechanism is the explanations' (see
``glassnet.explanations.wording``); this table holds the diagnosis' own sentences.
"""

from __future__ import annotations

from typing import ClassVar

from glassnet.explanations.wording import Joined, Words, say

__all__ = ["PHRASES", "DiagnosisWords", "Joined", "say"]

# key: (English, Chinese)
PHRASES: dict[str, tuple[str, str]] = {
    "finding": ("[{severity}] {code}: {message}", "[{severity}] {code}:{message}"),
    "all_clear": ("No problems found on a sample of {rows} rows ({checks} checks).",
                  "在 {rows} 行的样本上没有发现问题(共 {checks} 项检查)。"),
    # the inputs and the targets
    "unscaled_inputs": (
        "{off} of {features} input features are far from unit scale (root mean square over the "
        "sample outside [{low}, {high}]): feature {largest} has scale {largest_scale} and feature "
        "{smallest} {smallest_scale}; inputs reach {reach}. The first layer's pre-activations and "
        "∂L/∂W1 = ∂L/∂z1 · x grow with the inputs, so one learning rate cannot suit every weight."
        " Try: standardise the features ((x − mean) / std, computed on the training rows).",
        "{features} 个输入特征中有 {off} 个远离单位尺度(样本上的均方根在 [{low}, {high}] 之外):"
        "特征 {largest} 的尺度为 {largest_scale},特征 {smallest} 为 {smallest_scale};输入最大达到 "
        "{reach}。第一层的预激活和 ∂L/∂W1 = ∂L/∂z1 · x 随输入一起增大,所以一个学习率不可能适合"
        "每个权重。可以尝试:标准化特征((x − 均值) / 标准差,在训练行上计算)。"),
    "label_problem": ("{problem}. Try: {advice}.", "{problem}。可以尝试:{advice}。"),
    "targets_continuous": (
        "The targets are continuous (from {low} to {high}) but {loss} expects class indices",
        "目标是连续值(从 {low} 到 {high}),但 {loss} 需要类别索引"),
    "use_regression_loss": ("for a regression target use a regression loss such as 'mse'",
                            "回归目标请使用回归损失,例如 'mse'"),
    "one_output_softmax": (
        "The model has 1 output and {loss} takes a softmax over the outputs: the softmax of one "
        "number is always 1, the loss is constant and nothing trains",
        "模型只有 1 个输出,而 {loss} 对输出做 softmax:一个数的 softmax 永远是 1,损失是常数,"
        "什么也学不到"),
    "one_output_per_class": ("give the model one output per class (2 for a binary task)",
                             "让模型每个类别一个输出(二分类为 2 个)"),
    "classes_without_output": (
        "The targets hold classes {found} but the model has {outputs} outputs (classes "
        "0..{last}): {outside} have no output",
        "目标中有类别 {found},但模型只有 {outputs} 个输出(类别 0..{last}):{outside} 没有对应的"
        "输出"),
    "more_outputs": ("give the model {needed} outputs, or encode the labels as 0..C−1",
                     "让模型有 {needed} 个输出,或者把标签编码为 0..C−1"),
    "binary_range": ("{loss} needs targets in [0, 1]; they range from {low} to {high}",
                     "{loss} 需要 [0, 1] 中的目标;它们的范围是从 {low} 到 {high}"),
    "encode_binary": ("encode the two classes as 0 and 1", "把两个类别编码为 0 和 1"),
    "labels_for_regression": (
        "The targets look like class labels ({found}), one per row, but {loss} compares them "
        "with {outputs} outputs per row",
        "目标看起来是类别标签({found}),每行一个,但 {loss} 把它们与每行 {outputs} 个输出比较"),
    "use_cross_entropy": ("use loss='cross_entropy' for classes, or one output for one value",
                          "类别请用 loss='cross_entropy',或者一个值对应一个输出"),
    "target_shape": ("{error} Try: make the targets match the model's output.",
                     "{error} 可以尝试:让目标与模型的输出匹配。"),
    # the output
    "ends_with": ("The model ends with {kind} (layer '{layer}')",
                  "模型以 {kind} 结尾(层 '{layer}')"),
    "rows_sum_to_one": ("Every row of the output sums to 1 (within {error})",
                        "输出的每一行之和都是 1(误差在 {error} 以内)"),
    "probabilities_as_logits": (
        "{where}, so its outputs are probabilities in [{low}, {high}], but {loss} applies its own "
        "{squash} to them as logits: even a perfect model cannot bring the loss below {floor}, and"
        " ∂L/∂z is squeezed through a second {squash}′. Try: remove the final {final} and keep "
        "{loss} (apply the {squash} only when you want probabilities, after training).",
        "{where},所以它的输出是 [{low}, {high}] 中的概率,但 {loss} 会把它们当作 logits 再做一次 "
        "{squash}:即使完美的模型也无法让损失低于 {floor},而且 ∂L/∂z 还要再经过一次 {squash}′ 的"
        "压缩。可以尝试:去掉最后的 {final},保留 {loss}(只在需要概率时、训练之后再做 "
        "{squash})。"),
    "constant_predictions": (
        "The model answers the same for every input: over {rows} different rows the outputs vary "
        "by at most {spread} (standard deviation of an output; their mean size is {size}), so the "
        "first row's answer {answer} is everyone's. Nothing of the input reaches the output (see "
        "dead_relu or saturated_activations if reported). Try: check the activations and the "
        "initialisation; standardise the inputs.",
        "模型对每个输入都给出同样的回答:在 {rows} 个不同的行上,输出最多只变化 {spread}(一个输出"
        "的标准差;它们的平均大小为 {size}),所以第一行的回答 {answer} 就是所有行的回答。输入的"
        "任何信息都没有到达输出(如果报告了 dead_relu 或 saturated_activations,请查看)。可以尝试:"
        "检查激活函数和初始化;标准化输入。"),
    # the activations
    "dead_relu": (
        "{dead} of {units} ReLU units at layer '{layer}' are dead: their pre-activation z is ≤ 0 "
        "on all {rows} rows{positions} (the largest is {largest}), so ReLU′(z) = 0 and "
        "∂L/∂(their incoming weights and biases) = ∂L/∂a · ReLU′(z) · x = 0: they never learn "
        "again. Try: a smaller learning rate, a non-negative bias initialisation, standardised "
        "inputs, or LeakyReLU.",
        "层 '{layer}' 的 {units} 个 ReLU 单元中有 {dead} 个已经死亡:它们的预激活 z 在全部 {rows} "
        "行{positions}上都 ≤ 0(最大值为 {largest}),所以 ReLU′(z) = 0,∂L/∂(它们的输入权重和偏置) "
        "= ∂L/∂a · ReLU′(z) · x = 0:它们再也学不到东西。可以尝试:更小的学习率、非负的偏置初始化、"
        "标准化的输入,或 LeakyReLU。"),
    "at_positions": (" at all {count} positions", "的全部 {count} 个位置"),
    "units_stuck": (
        "{stuck} of {units} {kind} units at layer '{layer}' are stuck near their limits: on at "
        "least {share} of the rows their |z| is large (mean {z}) and {prime}(z) averages {slope}",
        "层 '{layer}' 的 {units} 个 {kind} 单元中有 {stuck} 个卡在极限附近:在至少 {share} 的行上"
        "它们的 |z| 很大(均值 {z}),{prime}(z) 的平均值为 {slope}"),
    "pairs_saturated": (
        "The {units} {kind} units at layer '{layer}' are saturated on {share} of their (row, "
        "unit) pairs: there |z| is large (mean {z}) and {prime}(z) averages {slope}",
        "层 '{layer}' 的 {units} 个 {kind} 单元在 {share} 的(行, 单元)对上饱和:那里 |z| 很大"
        "(均值 {z}),{prime}(z) 的平均值为 {slope}"),
    "saturated_activations": (
        "{what} (at most {largest}); every gradient passing through them is multiplied by it. "
        "Try: standardise the inputs, a smaller initialisation or learning rate, or ReLU.",
        "{what}(最大为 {largest});经过它们的每个梯度都要乘以它。可以尝试:标准化输入、更小的"
        "初始化或学习率,或 ReLU。"),
    # the gradients
    "vanishing_gradients": (
        "{symbol} has RMS {rms} at layer '{layer}', {compared}{because}. This layer barely "
        "learns. Try: standardise the inputs, ReLU instead of sigmoid/tanh in hidden layers, "
        "He/Glorot initialisation, or normalisation layers.",
        "层 '{layer}' 的 {symbol} 的 RMS 为 {rms},{compared}{because}。这一层几乎学不到东西。"
        "可以尝试:标准化输入、在隐藏层用 ReLU 代替 sigmoid/tanh、He/Glorot 初始化,或归一化层。"),
    "relative_to": ("{relative} × that of {parameter} ({rms})",
                    "是 {parameter} 的梯度({rms})的 {relative} 倍"),
    "as_every_weight": ("as every weight's gradient is", "与每个权重的梯度一样"),
    "inputs_zero": (": ∂L/∂W = δᵀ·x and every input x of layer '{layer}' is 0 on the sample (see "
                    "dead_relu)",
                    ":∂L/∂W = δᵀ·x,而层 '{layer}' 的每个输入 x 在样本上都是 0(见 dead_relu)"),
    "traced_through": (": gn.explain traces the path back to it through {path}",
                       ":gn.explain 沿路径追溯到它,经过 {path}"),
    "traced_through_see": (": gn.explain traces the path back to it through {path} (see {see})",
                           ":gn.explain 沿路径追溯到它,经过 {path}(见 {see})"),
    "inputs_reach": ("; the inputs of layer '{layer}' reach {reach} (see unscaled_inputs)",
                     ";层 '{layer}' 的输入达到 {reach}(见 unscaled_inputs)"),
    "shrinking": ("{symbol}(z) at {where} averages {mean}{small}; it scales the gradient by × "
                  "{gain}",
                  "{where}的 {symbol}(z) 平均为 {mean}{small};它把梯度缩放为 × {gain}"),
    "layer_named": ("layer {number} ('{module}')", "第 {number} 层('{module}')"),
    "layer_number": ("layer {number}", "第 {number} 层"),
    "below_at_units": (" and is below {below} at {small} of {units} units{z}",
                       ",在 {units} 个单元中的 {small} 个上低于 {below}{z}"),
    "their_z": (" (their |z| ≈ {z})", "(它们的 |z| ≈ {z})"),
    "activation_at": ("{symbol}(z) at layer {number}", "第 {number} 层的 {symbol}(z)"),
    "weight_at": ("W{number}ᵀ at layer {number}", "第 {number} 层的 W{number}ᵀ"),
    "factors_together": ("{parts}: together × {total}", "{parts}:合计 × {total}"),
    "activation_factor": ("1 activation factor {symbol}(z) ({spread})",
                          "1 个激活因子 {symbol}(z)({spread})"),
    "activation_factors": ("{count} activation factors {symbol}(z) ({spread})",
                           "{count} 个激活因子 {symbol}(z)({spread})"),
    "weight_factor": ("1 weight factor ({spread})", "1 个权重因子({spread})"),
    "weight_factors": ("{count} weight factors ({spread})", "{count} 个权重因子({spread})"),
    "gain_range": ("× {low} to × {high} each", "每个 × {low} 到 × {high}"),
    "exploding_gradients": (
        "∂L/∂{parameter} {size} at layer '{layer}'{causes}. One step moves these weights by more "
        "than their size. Try: standardise the inputs, lower the learning rate, or clip gradients "
        "(max-norm 1).",
        "层 '{layer}' 的 ∂L/∂{parameter} {size}{causes}。一步更新就让这些权重的变化超过它们本身的"
        "大小。可以尝试:标准化输入、降低学习率,或裁剪梯度(max-norm 1)。"),
    "not_finite": ("is not finite", "不是有限值"),
    "gradient_size": ("has RMS {rms}, {ratio} × the RMS of the weights ({weight_rms})",
                      "的 RMS 为 {rms},是权重 RMS({weight_rms})的 {ratio} 倍"),
    "causes": (": {causes}", ":{causes}"),
    "inputs_of_layer": (
        "∂L/∂W = δᵀ·x, and the inputs x of layer '{layer}' have RMS {rms} (up to {reach}{see})",
        "∂L/∂W = δᵀ·x,而层 '{layer}' 的输入 x 的 RMS 为 {rms}(最大 {reach}{see})"),
    "see_unscaled": (": see unscaled_inputs", ":见 unscaled_inputs"),
    "growing": ("on the way back gn.explain finds {what} growing the gradient × {gain}",
                "gn.explain 在反向的路上发现 {what} 把梯度放大 × {gain}"),
    # the parameters
    "parameters": ("{count} parameter ({shown}{more})", "{count} 个参数({shown}{more})"),
    "parameters_many": ("{count} parameters ({shown}{more})", "{count} 个参数({shown}{more})"),
    "and_more": (" and {count} more", " 等另外 {count} 个"),
    "no_gradient": (
        "{names} requires a gradient but the backward pass did not reach it: ∂L/∂p does not "
        "exist, since the loss does not depend on p (a layer defined but not used in forward, or "
        "its output detached / computed under no_grad). Try: use the layer in forward, or remove "
        "it.",
        "{names} 需要梯度,但反向传播没有到达它:∂L/∂p 不存在,因为损失不依赖于 p(一个定义了却"
        "没有在 forward 中使用的层,或者它的输出被 detach / 在 no_grad 下计算)。可以尝试:在 "
        "forward 中使用这个层,或者删除它。"),
    "no_gradient_many": (
        "{names} require a gradient but the backward pass did not reach it: ∂L/∂p does not "
        "exist, since the loss does not depend on p (a layer defined but not used in forward, or "
        "its output detached / computed under no_grad). Try: use the layer in forward, or remove "
        "it.",
        "{names} 需要梯度,但反向传播没有到达它们:∂L/∂p 不存在,因为损失不依赖于 p(一个定义了"
        "却没有在 forward 中使用的层,或者它的输出被 detach / 在 no_grad 下计算)。可以尝试:在 "
        "forward 中使用这个层,或者删除它。"),
    "not_in_optimizer": (
        "{names} gets gradients, but the optimizer does not hold it, so no step changes it. Try: "
        "build the optimizer from model.parameters() (after adding every layer).",
        "{names} 有梯度,但优化器没有持有它,所以任何一步都不会改变它。可以尝试:用 "
        "model.parameters() 构建优化器(在加入所有层之后)。"),
    "not_in_optimizer_many": (
        "{names} get gradients, but the optimizer does not hold them, so no step changes them. "
        "Try: build the optimizer from model.parameters() (after adding every layer).",
        "{names} 有梯度,但优化器没有持有它们,所以任何一步都不会改变它们。可以尝试:用 "
        "model.parameters() 构建优化器(在加入所有层之后)。"),
    "frozen": ("{names} is frozen (requires_grad=False) and will not change. Try: "
               "requires_grad_(True) if that is not intended.",
               "{names} 被冻结(requires_grad=False),不会改变。可以尝试:如果这不是有意的,调用 "
               "requires_grad_(True)。"),
    "frozen_many": ("{names} are frozen (requires_grad=False) and will not change. Try: "
                    "requires_grad_(True) if that is not intended.",
                    "{names} 被冻结(requires_grad=False),不会改变。可以尝试:如果这不是有意的,"
                    "调用 requires_grad_(True)。"),
    # the optimisation
    "learning_rate_too_high": (
        "The learning rate ({lr}) is too high: {reasons}. Steps overshoot the minimum. Try: "
        "lr ÷ 10 (or a schedule that warms up).",
        "学习率({lr})太高:{reasons}。每一步都越过了最小值。可以尝试:lr ÷ 10(或者带预热的"
        "学习率调度)。"),
    "trial_went": ("in {steps} trial steps on a copy the loss went from {first} to {last}",
                   "在副本上试走 {steps} 步,损失从 {first} 变为 {last}"),
    "trial_rose": ("in {steps} trial steps on a copy the loss rose from {first} to {last}",
                   "在副本上试走 {steps} 步,损失从 {first} 升到 {last}"),
    "first_step_changed": ("the first step changed {parameter} by {ratio} × its own RMS",
                           "第一步让 {parameter} 改变了它自身 RMS 的 {ratio} 倍"),
    "history_went": ("in the History the loss went from {first} to {last}",
                     "在 History 中损失从 {first} 变为 {last}"),
    "history_turns": ("in the History the loss changes direction {share} of the epochs",
                      "在 History 中损失在 {share} 的 epoch 上改变方向"),
    "learning_rate_too_low": (
        "The learning rate ({lr}) is too low: one step changes the weights by at most {ratio} of "
        "their size ({largest}; {smallest} by {small_ratio}), and in {steps} trial steps the loss "
        "only went from {first} to {last}. Try: lr × 10 (or more), or Adam.",
        "学习率({lr})太低:一步最多只让权重改变它们大小的 {ratio}({largest};{smallest} 为 "
        "{small_ratio}),试走 {steps} 步后损失只从 {first} 变为 {last}。可以尝试:lr × 10(或更大),"
        "或 Adam。"),
    "overfitting": (
        "Overfitting: the validation loss was lowest at epoch {best} ({best_loss}) and has risen "
        "to {last_loss} by epoch {last_epoch}, while the training loss kept falling ({train_best} "
        "→ {train_last}). Try: keep the weights of epoch {best} (EarlyStopping with "
        "restore_best_weights=True), more data, weight decay or dropout, or a smaller model.",
        "过拟合:验证损失在第 {best} 个 epoch 最低({best_loss}),到第 {last_epoch} 个 epoch 已升到 "
        "{last_loss},而训练损失一直在下降({train_best} → {train_last})。可以尝试:保留第 {best} 个 "
        "epoch 的权重(EarlyStopping 加 restore_best_weights=True)、更多数据、权重衰减或 dropout,"
        "或者更小的模型。"),
    # a fix tried on copies
    "with_outcome": ("{message} {outcome}", "{message}{outcome}"),
    "tried_change": ("Measured on copies: with {change} the loss {course} in {steps} steps, "
                     "instead of {unchanged}.",
                     "在副本上测量:{change}后,损失在 {steps} 步内{course},而不改时{unchanged}。"),
    "falls": ("falls from {first} to {last}", "从 {first} 降到 {last}"),
    "rises": ("rises from {first} to {last}", "从 {first} 升到 {last}"),
    "going_unchanged": ("going from {first} to {last} unchanged", "从 {first} 变为 {last}"),
    "blowing_up_unchanged": ("blowing up from {first} to {last} unchanged",
                             "从 {first} 发散到 {last}"),
    "goes": ("goes from {first} to {last}", "从 {first} 变为 {last}"),
    "blows_up": ("blows up from {first} to {last}", "从 {first} 发散到 {last}"),
    "standardised_outcome": (
        "Measured on copies: with standardised inputs and the same weights the loss {course} in "
        "{steps} steps{folded}; unchanged, it {unchanged}.",
        "在副本上测量:输入标准化、权重不变时,损失在 {steps} 步内{course}{folded};不改时,损失"
        "{unchanged}。"),
    "same_function": ("; with the first layer rescaled to compute the same function, it {course}",
                      ";把第一层重新缩放、使其计算同一个函数时,损失{course}"),
    "did_not_help": (" The change did not help here, so this is a hint rather than the cause.",
                     "这个改动在这里没有帮助,所以这只是提示,而不是原因。"),
}


class DiagnosisWords(Words):
    """A sentence of a diagnosis, from this module's table (see ``Words``)."""

    phrases: ClassVar[dict[str, tuple[str, str]]] = PHRASES
