"""``gradcheck``: autograd's gradients against central finite differences, in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.autograd.function_and_tensor import Tensor
from glassnet.autograd.grad_mode import no_grad
from glassnet.errors import GlassnetError, GradcheckError


def _scalar_output(fn: Callable[..., Any], inputs: Sequence[Tensor], weights: list) -> Tensor:
    """fn(*inputs) reduced to a scalar with fixed random weights, so every output element counts."""
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise GlassnetError(f"gradcheck: fn must return a Tensor; got {type(out).__name__}.")
    if out.data.size == 1:
        return out.reshape(())
    if not weights:
        rng = np.random.default_rng(1234)
        weights.append(Tensor(rng.uniform(0.5, 1.5, size=out.shape), dtype=np.float64))
    return (out * weights[0]).sum()


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare autograd with central finite differences for every input that requires grad.

    ``fn(*inputs)`` returns a Tensor; a non-scalar output is reduced by a fixed random weighting.
    Inputs are copied to float64 first. Returns True, or raises ``GradcheckError`` naming the
    input, the element, the analytic and the numeric value.
    """
    originals = list(inputs)
    for position, original in enumerate(originals):
        if not isinstance(original, Tensor):
            raise GlassnetError(
                f"gradcheck: inputs[{position}] must be a Tensor; got {type(original).__name__}."
            )
    # Private float64 copies: perturbing them leaves the caller's arrays untouched.
    copies = [
        Tensor(
            np.array(t.data, dtype=np.float64), t.requires_grad, dtype=np.float64, name=t.name
        )
        if t.dtype.kind == "f"
        else t
        for t in originals
    ]
    checked = [i for i, t in enumerate(copies) if t.requires_grad]
    if not checked:
        raise GlassnetError("gradcheck: no input has requires_grad=True; nothing to check.")
    weights: list = []
    _scalar_output(fn, copies, weights).backward()
    for position in checked:
        copy = copies[position]
        analytic = np.zeros(copy.shape) if copy.grad is None else copy.grad
        numeric = np.zeros(copy.shape)
        flat = copy.data.reshape(-1)  # a view: perturbing it perturbs the input
        with no_grad():
            for element in range(flat.size):
                saved = flat[element]
                flat[element] = saved + eps
                plus = _scalar_output(fn, copies, weights).item()
                flat[element] = saved - eps
                minus = _scalar_output(fn, copies, weights).item()
                flat[element] = saved
                numeric.reshape(-1)[element] = (plus - minus) / (2 * eps)
        mismatch = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
        if mismatch.any():
            index = tuple(int(i) for i in np.argwhere(mismatch)[0])
            label = f"inputs[{position}]" + (f" ({copy.name!r})" if copy.name else "")
            raise GradcheckError(
                f"gradcheck failed for {label} at element {index}: analytic "
                f"{analytic[index]!r} vs numeric {numeric[index]!r} "
                f"({int(mismatch.sum())} of {mismatch.size} elements differ)."
            )
    return True
