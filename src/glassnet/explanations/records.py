"""What ``gn.explain`` returns: the chain rule as data (Explanation, Term, Factor, Step) and text.

A Term is one path from ``wrt`` to the output, written as a product of Factors in the tutorial's
order (output side first): ∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂w1. Each Factor is a local derivative
between two labelled tensors and lists the Steps (ops) it folds; its value is a number when both
ends are single numbers, else None and the factor is an array (shown by its shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from glassnet.errors import ShapeError
from glassnet.explanations.wording import Words, checked_language

if TYPE_CHECKING:
    from glassnet.explanations.layer_records import ChainLink, LayerRecord, Magnitude

SHOWN_TERMS = 10  # lines printed before the rest of the terms are summed into one line

GROUPINGS = {"named": "grouped_by_name", "use": "grouped_by_use"}  # "path": no note


def format_number(value: float, digits: int = 4) -> str:
    """A number as the explanations print it: ``digits`` significant digits, no '+' or padding."""
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"


def format_shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) if shape else "1"


@dataclass(frozen=True)
class Step:
    """One op on a path: ``output = op(…, input, …)`` with the input at position ``slot``.

    ``value`` is the local derivative ∂output/∂input when both are single numbers, else None;
    ``symbol`` writes it in the graph's names (``w5``, ``f′(w5·h1 + w6·h2 + b3)``, ``−1``) when
    it can be.
    """

    op: str
    slot: int
    output: str
    input: str
    value: float | None
    output_shape: tuple[int, ...]
    input_shape: tuple[int, ...]
    symbol: str | None = None


@dataclass(frozen=True)
class Factor:
    """∂numerator/∂denominator along one path: the local derivatives of ``steps`` chained.

    ``value`` is that derivative as a number when the numerator is a single number and the
    denominator is one too (or the chosen element of ``wrt``); otherwise None: the factor is an
    array of shape numerator_shape × denominator_shape. ``ops`` are the op labels folded in, in
    path order (each kind once when there are more than eight).
    """

    numerator: str
    denominator: str
    value: float | None
    numerator_shape: tuple[int, ...]
    denominator_shape: tuple[int, ...]
    ops: tuple[str, ...]
    steps: tuple[Step, ...] = ()

    @property
    def label(self) -> str:
        return f"∂{self.numerator}/∂{self.denominator}"

    def format_value(self, digits: int = 4) -> str:
        if self.value is not None:
            return f"({format_number(self.value, digits)})"
        if not self.denominator_shape:
            return f"[{format_shape(self.numerator_shape)}]"
        if not self.numerator_shape:
            return f"[{format_shape(self.denominator_shape)}]"
        return f"[{format_shape(self.numerator_shape)} ← {format_shape(self.denominator_shape)}]"


@dataclass(frozen=True)
class Term:
    """One path (or one group of paths) from wrt to the output, and its contribution ``product``.

    ``product`` is computed by backpropagating along this path alone, so it is exact even when
    some factors are arrays; when every factor is a number it equals their product.
    """

    factors: tuple[Factor, ...]
    product: float
    route: tuple[str, ...] = ()  # "op[slot]" for each edge, output side first

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(op for factor in self.factors for op in factor.ops)

    def chain(self) -> str:
        return " · ".join(factor.label for factor in self.factors)

    def format(self, head: str | None = None, digits: int = 4) -> str:
        """``head = chain = (values) = product``; without a head the line starts at the chain."""
        product = format_number(self.product, digits)
        if not self.factors:
            return f"{head} = {product}" if head else product
        values = " · ".join(factor.format_value(digits) for factor in self.factors)
        line = f"{self.chain()} = {values} = {product}"
        return f"{head} = {line}" if head else line


@dataclass(frozen=True)
class Explanation:
    """∂output/∂wrt[index] from the graph, as ``value`` and as a sum of path ``terms``.

    ``grouping`` says what a term stands for: "path" (one path through the graph), "named"
    (all paths passing through the same named tensors, used when there are too many paths to
    list) or "use" (all paths through one use of wrt). ``path_count`` is the number of paths.

    For a whole tensor (``explain`` without ``index=`` on a wrt of several elements) ``value``
    and ``index`` are None, ``gradient`` is the size of ∂output/∂wrt over all its elements,
    ``layers`` holds one LayerRecord per Linear layer on the path (output side first) and
    ``strongest`` names the factor whose gain is farthest from 1. For one element of a Linear +
    activation chain, ``links`` holds the chain rule layer by layer (wrt side first).
    """

    output_label: str
    wrt_label: str
    index: tuple[int, ...] | None
    value: float | None
    terms: tuple[Term, ...]
    grouping: str
    path_count: int
    layers: tuple[LayerRecord, ...] = ()
    links: tuple[ChainLink, ...] = ()
    gradient: Magnitude | None = None
    strongest: tuple[str, float] | None = None

    @property
    def label(self) -> str:
        return f"∂{self.output_label}/∂{self.wrt_label}"

    @property
    def is_summary(self) -> bool:
        """Whether this explains a whole tensor (sizes per layer) rather than one element."""
        return self.value is None

    def __float__(self) -> float:
        if self.value is None:
            raise ShapeError(
                f"{self.label} explains a whole tensor of shape {self.gradient.shape}, which has "
                "no single value; read .gradient (its RMS and largest |value|) or pass index= "
                "to explain one element."
            )
        return self.value

    def __repr__(self) -> str:
        if self.value is None:
            return f"<Explanation {self.label}: summary of {len(self.layers)} layers>"
        return (
            f"<Explanation {self.label} = {format_number(self.value, 6)} "
            f"({len(self.terms)} terms, {self.path_count} paths)>"
        )

    def __str__(self) -> str:
        return self.format()

    def format(
        self, digits: int = 4, max_terms: int = SHOWN_TERMS, steps: bool = False,
        named: bool = True, language: str = "en",
    ) -> str:
        """The chain rule as the tutorial writes it: one line per term, then their sum.

        ``steps=True`` adds, under each term, every factor that folds several ops written out
        op by op (when its ops act on single numbers), each op's derivative written in the graph's
        names (∂y_pred/∂h1 = f′(w5·h1 + w6·h2 + b3) · w5), its factors of 1 left out, where
        every op has a name; ``named=False`` writes each op as the graph holds it
        (∂y_pred/∂[add] · ∂[add]/∂[add] · …). A whole tensor gives the sizes per layer; one
        element of a Linear + activation chain its chain layer by layer. ``language="zh"``
        writes the words in Chinese (the symbols, names and numbers stay as they are).
        """
        checked_language(language)
        if self.value is None:
            return self._summary(language)
        if self.links:
            return "\n".join(line for link in self.links for line in link.format(language))
        head = self.label
        if not self.terms:
            reach = Words("does_not_reach", wrt=self.wrt_label, output=self.output_label)
            return f"{head} = 0   ({reach.say(language)})"
        if len(self.terms) == 1 and self.grouping == "path":
            [term] = self.terms
            if term.chain() == head:  # one long unnamed chain, folded: say what it went through
                [factor] = term.factors
                through = Words("one_path_ops", count=len(factor.steps), ops=", ".join(factor.ops))
                return f"{head} = {format_number(term.product, digits)}   ({through.say(language)})"
            opened = _step_lines(term, digits, steps, named=named, language=language)
            return "\n".join([term.format(head, digits), *opened])
        lines = [self._header(language)]
        shown = sorted(self.terms, key=lambda term: -abs(term.product))[:max_terms]
        shown_ids = {id(term) for term in shown}
        lines_by_term = [
            "  " + term.format(digits=digits) for term in self.terms if id(term) in shown_ids
        ]
        shown_terms = [t for t in self.terms if id(t) in shown_ids]
        shown_lines = _disambiguate(lines_by_term, shown_terms, language)
        for line, term in zip(shown_lines, shown_terms, strict=True):
            lines += [line, *_step_lines(term, digits, steps, "    ", named, language)]
        rest = [term for term in self.terms if id(term) not in shown_ids]
        if rest:
            together = format_number(sum(term.product for term in rest), digits)
            lines.append("  " + Words("more_terms", count=len(rest), total=together).say(language))
        lines.append(self._sum_line(digits, language))
        return "\n".join(lines)

    def _summary(self, language: str) -> str:
        whole = Words("whole_tensor", label=self.label, shape=format_shape(self.gradient.shape),
                      size=self.gradient.format(language))
        lines = [whole.say(language)]
        if not self.layers:
            reach = Words("no_path") if self.path_count == 0 else self._paths()
            lines.append("  " + Words("through_no_layer", reach=reach,
                                      output=self.output_label).say(language))
        for record in self.layers:
            lines += record.format(language)
        if self.strongest is not None:
            what, gain = self.strongest
            farthest = Words("farthest_factor", what=what, gain=format_number(gain, 3))
            lines.append("  " + farthest.say(language))
        return "\n".join(lines)

    def _paths(self) -> Words:
        return Words("path_count" if self.path_count == 1 else "paths_count",
                     count=self.path_count)

    def _header(self, language: str) -> str:
        if self.grouping in GROUPINGS:
            grouping = Words(GROUPINGS[self.grouping], wrt=self.wrt_label)
            header = Words("grouped_header", label=self.label, paths=self._paths(),
                           grouping=grouping, count=len(self.terms))
            return header.say(language)
        return f"{self.label}: {self._paths().say(language)}"

    def _sum_line(self, digits: int, language: str) -> str:
        total = format_number(self.value, digits)
        if len(self.terms) <= 6:
            parts = " + ".join(
                f"({format_number(term.product, digits)})" if term.product < 0
                else format_number(term.product, digits)
                for term in self.terms
            )
            return f"{self.label} = {parts} = {total}"
        terms = Words("sum_of_terms", count=len(self.terms)).say(language)
        return f"{self.label} = {terms} = {total}"


def _step_lines(
    term: Term, digits: int, wanted: bool, indent: str = "  ", named: bool = False,
    language: str = "en",
) -> list[str]:
    """Each folded factor op by op: ∂h1/∂w1 = ∂h1/∂[add] · ∂[add]/∂[add] · … = (…) · (…);
    ``named``: ∂h1/∂w1 = f′(w1·x1 + w2·x2 + b1) · x1 = (…) · (…) where every op has a symbol."""
    if not wanted:
        return []
    lines = []
    for factor in term.factors:
        if len(factor.steps) < 2 or any(step.value is None for step in factor.steps):
            continue
        shown = [step for step in factor.steps if step.symbol != "1"]
        if named and shown and all(step.symbol is not None for step in shown):
            chain = " · ".join(_grouped_symbol(step.symbol) for step in shown)
        else:
            chain = " · ".join(f"∂{step.output}/∂{step.input}" for step in factor.steps)
            shown = list(factor.steps)
        values = " · ".join(f"({format_number(step.value, digits)})" for step in shown)
        where = Words("where", factor=factor.label, chain=chain, values=values)
        lines.append(indent + where.say(language))
    return lines


def _grouped_symbol(symbol: str) -> str:
    return f"({symbol})" if symbol.startswith("−") or " + " in symbol.split("(")[0] else symbol


def _disambiguate(lines: list[str], terms: list[Term], language: str) -> list[str]:
    """Lines that read the same (a tensor used twice by one op) get the ops of their path."""
    chains = [term.chain() for term in terms]
    return [
        f"{line}   {Words('via', route=' ← '.join(term.route or term.ops)).say(language)}"
        if chains.count(term.chain()) > 1
        else line
        for line, term in zip(lines, terms, strict=True)
    ]
