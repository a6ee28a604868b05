"""A training's problems in words: ``gn.diagnose(model, X, y, loss=...)`` → ``gn.Diagnosis``.

Forward and backward passes on a deep copy of the model, over a sample of at most 256 rows (the
same rows on every call, drawn from a generator of their own), record each layer's
pre-activations z and activations a with forward hooks and every ∂L/∂parameter. The checks
read those numbers; each finding quotes them (``Finding.evidence``) and ends with what to try.

code                     what it checks; the threshold
-----------------------  ----------------------------------------------------------------------
unscaled_inputs          each feature's scale sqrt(mean(x²)) over the sample; > 10, or < 0.01
                         for a feature that varies (a convolution's channels are its features;
                         an embedding's index columns are not checked)
label_mismatch           targets the loss cannot pair with the output: class indices outside
                         0..C−1, continuous targets for a classification loss, cross-entropy over
                         1 output, binary targets outside [0, 1], class labels for a regression
                         head with several outputs; any (error)
probabilities_as_logits  a Softmax / Sigmoid last layer, or rows summing to 1 within 1e-4, fed to
                         cross_entropy or bce_with_logits (error)
constant_predictions     the largest standard deviation of an output over the sample;
                         ≤ 1e-3 × max(1, mean |output|) (error)
dead_relu                ReLU units with z ≤ 0 on every row; > 25 % of a layer (error when all)
saturated_activations    Sigmoid / Tanh units with σ′ < 0.01 (tanh′ < 0.04) on ≥ 90 % of the
                         rows, ≥ 25 % of a layer; or ≥ 50 % of a layer's (row, unit) pairs so
exploding_gradients      RMS(∂L/∂W) / RMS(W) per weight matrix; > 100, or not finite (error)
vanishing_gradients      RMS(∂L/∂W) against the largest layer's; < 1e-4 of it, or < 1e-8
                         absolutely while the loss > 1e-4
parameters_not_training  parameters with no gradient or not held by the optimizer; any (frozen
                         ones, requires_grad=False, as info)
learning_rate_too_high   10 full-batch steps on copies: the loss not finite or ending above its
                         start, or the first step's RMS(ΔW) / RMS(W) > 1; or the History's loss
                         rising, or changing direction in ≥ 50 % of ≥ 4 epochs without halving
learning_rate_too_low    the first trial step's largest RMS(ΔW) / RMS(W) < 1e-5 while the loss
                         is > 1e-4
overfitting              the History's val_loss ≥ 5 % above its best, reached ≥ 2 epochs before
                         the end, while the training loss fell since

Learning-rate findings need an optimizer; overfitting needs a History with validation.
``confirm=True`` reruns 50 steps from copies with lr ÷ 10, lr × 10 or standardised inputs and
adds the measured losses to those findings; a finding whose suggested change did not lower the
loss becomes "info".
"""

from glassnet.diagnosis.findings import SEVERITIES, Diagnosis, Finding
from glassnet.diagnosis.runner import CHECKS, diagnose

__all__ = ["CHECKS", "SEVERITIES", "Diagnosis", "Finding", "diagnose"]
