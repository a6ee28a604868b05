"""What ``gn.explain`` keeps about the layers of a real network, as data a caller can quote.

For a whole tensor (no ``index=``) the explanation holds one LayerRecord per Linear layer on the
path from the loss down to ``wrt``: the size of the gradient at each stage, the activation's
derivative f′ on the batch (Slopes) and how much each factor of the chain rule scales the
gradient (the gains). For one element of a Linear + activation chain it holds ChainLinks: each
local step of the chain rule with its numbers and, where a layer sums over samples or units, the
largest terms of the sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet.explanations.records import format_number, format_shape
from glassnet.explanations.wording import Words, say

SMALL_SLOPE = 1e-3  # a unit whose mean f′ over the batch is below this passes almost no gradient
LARGEST_TERMS = 3  # terms of a sum shown (and kept) by size


@dataclass(frozen=True)
class Magnitude:
    """The size of an array: its shape, root mean square and largest absolute value."""

    shape: tuple[int, ...]
    rms: float
    max_abs: float

    @classmethod
    def of(cls, array: np.ndarray) -> Magnitude:
        """RMS = sqrt(mean(a²)), computed as max|a|·RMS(a / max|a|) so it cannot overflow."""
        values = np.asarray(array, dtype=np.float64)
        if values.size == 0:
            return cls(values.shape, 0.0, 0.0)
        largest = float(np.max(np.abs(values)))
        if largest == 0 or not np.isfinite(largest):
            return cls(values.shape, largest, largest)
        scaled = values / largest
        return cls(values.shape, largest * float(np.sqrt(np.mean(scaled * scaled))), largest)

    def format(self, language: str = "en") -> str:
        return Words("size", rms=format_number(self.rms, 3),
                     largest=format_number(self.max_abs, 3)).say(language)


@dataclass(frozen=True)
class Slopes:
    """An activation's derivative f′(z) on the batch, z: (samples, units).

    ``mean`` and ``largest`` are over all elements; a unit's mean is over the samples.
    ``units_small`` counts units whose mean f′ is below ``small_below`` (SMALL_SLOPE),
    ``units_zero`` units with f′ = 0 on every sample, ``zero_fraction`` the elements with f′ = 0.
    """

    activation: str
    symbol: str
    units: int
    samples: int
    mean: float
    largest: float
    small_below: float
    units_small: int
    units_zero: int
    zero_fraction: float

    @classmethod
    def of(cls, activation: str, symbol: str, slope: np.ndarray) -> Slopes:
        rows = np.asarray(slope, dtype=np.float64).reshape(-1, slope.shape[-1] if slope.ndim else 1)
        unit_means = rows.mean(axis=0)
        zero = rows == 0
        return cls(
            activation=activation,
            symbol=symbol,
            units=rows.shape[1],
            samples=rows.shape[0],
            mean=float(rows.mean()),
            largest=float(rows.max()),
            small_below=SMALL_SLOPE,
            units_small=int(np.count_nonzero(unit_means < SMALL_SLOPE)),
            units_zero=int(np.count_nonzero(zero.all(axis=0))),
            zero_fraction=float(np.count_nonzero(zero) / zero.size),
        )

    def format(self, language: str = "en") -> str:
        text = Words("slope_mean", symbol=self.symbol, mean=format_number(self.mean, 3),
                     units=self.units, samples=self.samples).say(language)
        if self.units_zero:
            text += Words("slope_dead", symbol=self.symbol, dead=self.units_zero,
                          units=self.units).say(language)
        if self.units_small > self.units_zero:
            text += Words("slope_small", small=self.units_small, units=self.units,
                          below=format_number(self.small_below)).say(language)
        return text


@dataclass(frozen=True)
class LayerRecord:
    """One Linear layer on the path, z = x @ Wᵀ + b, then its activation a = f(z) if any.

    The gradient flows down it as ∂L/∂z = f′(z) ⊙ ∂L/∂a, then ∂L/∂x = ∂L/∂z @ W and
    ∂L/∂W = ∂L/∂zᵀ @ x. ``activation_gain`` = RMS(∂L/∂z) / RMS(∂L/∂a) is what f′ does to the
    gradient's size, ``weight_gain`` = RMS(∂L/∂x) / RMS(∂L/∂z) what the weight does (None when
    the path does not go below this layer, or a size is 0). ``weight_gradient`` is this layer's
    ∂L/∂zᵀ @ x (for a weight used by several layers, this use's part of its gradient).
    ``number`` counts layers from the network's input (1 = the first); ``above`` is what
    consumes the layer's output ("layer k", an op's label, or "the output"). ``kind`` is the
    layer's op, "linear" or a convolution ("conv1d", "conv2d": z = W ⊛ x + b, the same factors
    with ∂L/∂W summed over the output positions too, and its units the output channels).
    """

    number: int
    weight_name: str
    output_name: str
    pre_activation_name: str
    input_name: str
    above: str
    weight: Magnitude
    input: Magnitude
    output_gradient: Magnitude
    activation: Slopes | None
    pre_activation_gradient: Magnitude
    activation_gain: float | None
    weight_gradient: Magnitude
    input_gradient: Magnitude | None
    weight_gain: float | None
    kind: str = "linear"

    def gains(self) -> list[tuple[str, float]]:
        """(what, gain) for each factor with a gain, output side first."""
        found = []
        if self.activation is not None and self.activation_gain is not None:
            found.append((Words("activation_at", symbol=self.activation.symbol,
                                number=self.number), self.activation_gain))
        if self.weight_gain is not None:
            found.append((Words("weight_at", weight=self.weight_name, number=self.number),
                          self.weight_gain))
        return found

    def format(self, language: str = "en") -> list[str]:
        shape = format_shape(self.weight.shape)
        kind = f"{self.kind} {shape}" + (
            f" + {self.activation.activation}" if self.activation else "")
        lines = [Words("layer_line", number=self.number, kind=kind, output=self.output_name,
                       size=self.output_gradient.format(language),
                       above=self.above).say(language)]
        if self.activation is not None:
            lines.append(f"    {self.activation.format(language)}")
            lines.append(
                f"    → ∂L/∂{self.pre_activation_name} "
                f"{self.pre_activation_gradient.format(language)}{_gain(self.activation_gain)}"
            )
        lines.append(
            f"    {self.weight_name}: {self.weight.format(language)};  "
            f"{self.input_name}: {self.input.format(language)};  "
            f"∂L/∂{self.weight_name} {self.weight_gradient.format(language)}"
        )
        if self.input_gradient is not None:
            operation = "@" if self.kind == "linear" else "⊛ᵀ"
            product = f"∂L/∂{self.pre_activation_name} {operation} {self.weight_name}"
            lines.append(
                f"    → ∂L/∂{self.input_name} = {product}: "
                f"{self.input_gradient.format(language)}{_gain(self.weight_gain)}"
            )
        return lines


def _gain(gain: float | None) -> str:
    return "" if gain is None else f"   (× {format_number(gain, 3)})"


@dataclass(frozen=True)
class SumTerm:
    """One term of a sum in the chain rule: ``value`` = ``left`` · ``right`` at ``position``
    (a sample or a unit, by what the sum runs over; for a convolution's weight, an output
    position (n, l) or (n, h, w))."""

    position: int | tuple[int, ...]
    left: float
    right: float
    value: float


@dataclass(frozen=True)
class ChainLink:
    """One step of the chain rule for one element, ``quantity`` = ``formula`` = ``value``.

    ``kind`` is "sum" (a Linear layer sums over ``count`` samples or units, a convolution's
    weight over ``count`` output positions, ``over`` says which; ``largest`` holds its biggest
    terms by |value| and ``share`` their part of Σ|term|), "activation"
    (∂L/∂z = f′(z) · ∂L/∂a, with ``slope`` = f′(z)) or "top" (the gradient the ops above the
    last layer deliver, read from the graph).
    """

    quantity: str
    value: float
    layer: int
    kind: str
    formula: str
    count: int = 0
    over: str = ""
    largest: tuple[SumTerm, ...] = ()
    share: float | None = None
    slope: float | None = None
    note: str = ""

    def format(self, language: str = "en") -> list[str]:
        formula = say(self.formula, language)
        if self.kind == "top":
            return [f"{self.quantity} = {format_number(self.value)}   ({formula})"]
        head = f"{self.quantity} = {formula} = {format_number(self.value)}"
        if self.note:
            head += f"   ({say(self.note, language)})"
        if self.kind != "sum":
            return [head]
        if not self.largest:
            return [head, "    " + Words("every_term_zero", count=self.count).say(language)]
        terms = "; ".join(
            f"{_at(self.over, term.position)}: {format_number(term.left)} · "
            f"{format_number(term.right)} = {format_number(term.value)}"
            for term in self.largest
        )
        which = ", ".join(str(term.position) for term in self.largest)
        share = Words("largest_share", over=Words(self.over), which=which,
                      share=round(100 * self.share), terms=terms)
        return [head, "    " + share.say(language)]


POSITION_NAMES = {2: "(n, l)", 3: "(n, h, w)"}  # a convolution's output positions, by rank


def _at(over: str, position: int | tuple[int, ...]) -> str:
    """Where a term sits: n=4 (a sample), m=2 (a unit), (n, l)=(4, 7) (an output position),
    (4, 7) (a place in an embedding's indices)."""
    if isinstance(position, tuple) and over == "places":
        return f"({', '.join(map(str, position))})"
    if isinstance(position, tuple):
        names = POSITION_NAMES.get(len(position), "position")
        return f"{names}=({', '.join(map(str, position))})"
    return f"{'n' if over == 'samples' else 'm'}={position}"
