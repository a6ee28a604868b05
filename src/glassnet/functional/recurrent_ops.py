"""The ops of the recurrent layers: one layer, one direction, over a whole sequence.

``RNNLayer``, ``GRULayer`` and ``LSTMLayer`` each run a sequence x: (T, N, I) (time first) from
an initial state h₀: (N, H) and return every hidden state, (T, N, H). The products are shaped
for BLAS: the input's share of every gate, at every time step, is one product

    gates_x = x @ W_ihᵀ + b_ih        (T·N, I) @ (I, G·H),  G gates side by side,

and each step adds one product of the previous state with W_hh for all gates at once,
h_{t−1} @ W_hhᵀ + b_hh: (N, H) @ (H, G·H). (b_hh joins b_ih before the steps wherever the
formula allows: everywhere but the GRU's n gate.) The backward runs the steps in reverse order and
writes the chain rule step by step (see each class): what arrives at h_{t−1} is the gradient
from the output at t−1 plus what step t hands back through W_hh. The gate gradients of all
steps are kept, so the weight gradients are again one product each over all time steps,

    ∂L/∂W_ih = Σ_t ∂L/∂gates_tᵀ @ x_t,     ∂L/∂W_hh = Σ_t ∂L/∂gates_tᵀ @ h_{t−1}.

One Function per layer and direction, not one per step or per gate: the graph of a 40-step GRU
is one node, not 40 × 15 (bench/recurrent.py measures both). ``reverse=True`` runs the steps
from t = T−1 down to 0 (the backward direction of a bidirectional layer); the states are still
returned in time order, so its last state is row 0. Gate order and weight layout are PyTorch's.
"""

from __future__ import annotations

import numpy as np

from glassnet import _blas, fast_paths
from glassnet.autograd import Function


def sigmoid_in_place(values: np.ndarray) -> np.ndarray:
    """σ(v) = ½·tanh(½v) + ½, written over ``values``: the tanh form cannot overflow for any v."""
    values *= 0.5
    np.tanh(values, out=values)
    values *= 0.5
    values += 0.5
    return values


def _rows(array: np.ndarray) -> np.ndarray:
    """(T, N, F) -> (T·N, F): the time steps and samples of a sequence as one batch of rows."""
    return array.reshape(-1, array.shape[-1])


class RecurrentLayer(Function):
    """What the three layer ops share: the input projection, the order of the steps and the
    weight gradients summed over time. Inputs (x, h₀[, c₀], W_ih, W_hh[, b_ih, b_hh])."""

    gates = 1  # G: how many blocks of H rows W_ih and W_hh stack
    gate_names: tuple[str, ...] = ("the pre-activation",)  # what each block computes
    state_inputs = 1  # h₀, or h₀ and c₀

    def __init__(self, reverse: bool = False) -> None:
        self.reverse = reverse

    def time_steps(self, length: int) -> range:
        """The steps in the order the forward runs them."""
        return range(length - 1, -1, -1) if self.reverse else range(length)

    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a @ b for 2-D arrays: the products that cover all time steps at once."""
        return a @ b

    def column_sums(self, rows: np.ndarray) -> np.ndarray:
        """Σᵢ rows[i]: (M, k) -> (k,), a bias's gradient over all steps and samples."""
        return rows.sum(axis=0)

    def input_gates(
        self, x: np.ndarray, weight_ih: np.ndarray, bias: np.ndarray | None
    ) -> np.ndarray:
        """x @ W_ihᵀ + bias for every time step at once: (T, N, I) -> (T, N, G·H)."""
        length, batch, features = x.shape
        gates = self.product(x.reshape(length * batch, features), weight_ih.T)
        if bias is not None:
            gates += bias
        return gates.reshape(length, batch, -1)

    def state_gradient_rows(self, grad_gates: np.ndarray, states: np.ndarray,
                            h0: np.ndarray) -> np.ndarray:
        """Σ_t grad_gates[t]ᵀ @ h_{t−1}: the previous state of step t is states[t−1] (states[t+1]
        when reversed) and h₀ for the first step, so two products cover every step."""
        if self.reverse:
            inner, first = (grad_gates[:-1], states[1:]), grad_gates[-1]
        else:
            inner, first = (grad_gates[1:], states[:-1]), grad_gates[0]
        gradient = self.product(_rows(inner[0]).T, _rows(inner[1]))
        gradient += first.T @ h0
        return gradient

    def parameter_gradients(
        self, grad_gates_x: np.ndarray, grad_gates_h: np.ndarray, states: np.ndarray
    ) -> tuple[np.ndarray | None, ...]:
        """(∂x, ∂W_ih, ∂W_hh[, ∂b_ih, ∂b_hh]) from the gate gradients of every step; each only
        if its input needs it."""
        needs = self.needs_input_grad
        first_weight = 1 + self.state_inputs
        need_x, need_wih, need_whh = needs[0], needs[first_weight], needs[first_weight + 1]
        grad_x = None
        if need_x:
            grad_x = self.product(_rows(grad_gates_x), self.weight_ih).reshape(self.x.shape)
        grad_weight_ih = (self.product(_rows(grad_gates_x).T, _rows(self.x))
                          if need_wih else None)
        grad_weight_hh = (self.state_gradient_rows(grad_gates_h, states, self.h0)
                          if need_whh else None)
        gradients = (grad_x, grad_weight_ih, grad_weight_hh)
        if len(needs) == first_weight + 2:  # no biases
            return gradients
        grad_bias_ih = self.column_sums(_rows(grad_gates_x)) if needs[-2] else None
        grad_bias_hh = self.column_sums(_rows(grad_gates_h)) if needs[-1] else None
        return (*gradients, grad_bias_ih, grad_bias_hh)

    def previous_state(self, states: np.ndarray, t: int, h0: np.ndarray) -> np.ndarray:
        """h_{t−1}, the state step t started from."""
        before = t + 1 if self.reverse else t - 1
        return h0 if before in (-1, len(self.x)) else states[before]

    def gate_gradients(self, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        """(∂L/∂gates_x, ∂L/∂gates_h, ∂L/∂h₀[, ∂L/∂c₀]) for the output gradient ``grad``: the
        backward through time. gates_x = x @ W_ihᵀ + b_ih, gates_h = h @ W_hhᵀ + b_hh, each
        (T, N, G·H); the two are equal except in the GRU. Used by backward and gn.explain."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grad_gates_x, grad_gates_h, *grad_states = self.gate_gradients(grad)
        grad_x, *weights = self.parameter_gradients(grad_gates_x, grad_gates_h, self.states)
        needs = self.needs_input_grad[1:1 + self.state_inputs]
        grad_states = [g if need else None for g, need in zip(grad_states, needs, strict=True)]
        return (grad_x, *grad_states, *weights)


class RNNLayer(RecurrentLayer):
    """h_t = f(x_t @ W_ihᵀ + b_ih + h_{t−1} @ W_hhᵀ + b_hh), f = tanh or relu.

    x: (T, N, I), h₀: (N, H), W_ih: (H, I), W_hh: (H, H), biases (H,) -> states (T, N, H).
    Backward, from the last step down: ∂L/∂h_t = ∂L/∂y_t + ∂L/∂a_{t+1} @ W_hh,
    ∂L/∂a_t = f′(a_t) ⊙ ∂L/∂h_t with f′ = 1 − h_t² (tanh) or [h_t > 0] (relu).
    """

    def __init__(self, reverse: bool = False, nonlinearity: str = "tanh") -> None:
        super().__init__(reverse)
        self.nonlinearity = nonlinearity

    def forward(self, x: np.ndarray, h0: np.ndarray, weight_ih: np.ndarray,
                weight_hh: np.ndarray, bias_ih: np.ndarray | None = None,
                bias_hh: np.ndarray | None = None) -> np.ndarray:
        # both biases join the input's share, once for all steps
        bias = None if bias_ih is None else bias_ih + bias_hh
        gates_x = self.input_gates(x, weight_ih, bias)
        states = gates_x  # each step overwrites its own row of the input's share with h_t
        h = h0
        for t in self.time_steps(len(x)):
            pre_activation = states[t]
            pre_activation += h @ weight_hh.T
            if self.nonlinearity == "tanh":
                h = np.tanh(pre_activation, out=pre_activation)
            else:
                h = np.maximum(pre_activation, 0, out=pre_activation)
        if self.recording:
            self.x, self.h0, self.weight_ih, self.weight_hh = x, h0, weight_ih, weight_hh
            self.states = states
        return states

    def gate_gradients(self, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        states = self.states
        grad_pre = np.empty_like(states)
        grad_h = np.zeros_like(self.h0)
        for t in reversed(self.time_steps(len(states))):
            grad_h = grad_h + grad[t]
            h = states[t]
            slope = 1 - h * h if self.nonlinearity == "tanh" else (h > 0).astype(h.dtype)
            np.multiply(grad_h, slope, out=grad_pre[t])
            grad_h = grad_pre[t] @ self.weight_hh
        return grad_pre, grad_pre, grad_h

    @property
    def label(self) -> str:
        return "rnn"


class GRULayer(RecurrentLayer):
    """The GRU (PyTorch's form, gates r, z, n in that order in W_ih and W_hh):

        r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr),   z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz),
        n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn)),   h′ = (1 − z) ⊙ n + z ⊙ h.

    x: (T, N, I), h₀: (N, H), W_ih: (3H, I), W_hh: (3H, H), biases (3H,) -> states (T, N, H).
    Backward of one step, with g = ∂L/∂h′ and hn = h W_hnᵀ + b_hn:
    ∂n = g ⊙ (1 − z), ∂z = g ⊙ (h − n), ∂h = g ⊙ z (+ what the product below hands back);
    ∂a_n = ∂n ⊙ (1 − n²) for a_n, tanh's argument; then ∂r = ∂a_n ⊙ hn and ∂hn = ∂a_n ⊙ r;
    the sigmoids' arguments get ∂r ⊙ r(1 − r) and ∂z ⊙ z(1 − z). The input's share of gate n
    gets ∂a_n, the state's share ∂hn: the only place the two gate gradients differ.
    """

    gates = 3
    gate_names = ("r (reset gate)", "z (update gate)", "n (candidate)")

    def forward(self, x: np.ndarray, h0: np.ndarray, weight_ih: np.ndarray,
                weight_hh: np.ndarray, bias_ih: np.ndarray | None = None,
                bias_hh: np.ndarray | None = None) -> np.ndarray:
        hidden = weight_hh.shape[1]
        rz, n_ = slice(0, 2 * hidden), slice(2 * hidden, 3 * hidden)  # blocks of the gates
        bias_x, bias_hn = bias_ih, None
        if bias_hh is not None:
            # b_hr and b_hz join the input's share, once for all steps; b_hn stays in r ⊙ (…)
            bias_x = bias_ih.copy()
            bias_x[rz] += bias_hh[rz]
            bias_hn = bias_hh[n_]
        gates_x = self.input_gates(x, weight_ih, bias_x)
        length, batch, _ = gates_x.shape
        dtype = gates_x.dtype
        states = np.empty((length, batch, hidden), dtype)
        # what backward needs, per step; without a graph, one step's worth reused
        kept = length if self.recording else 1
        reset_update = np.empty((kept, batch, 2 * hidden), dtype)
        candidate = np.empty((kept, batch, hidden), dtype)
        state_share_n = np.empty((kept, batch, hidden), dtype)
        gates_h = np.empty((batch, 3 * hidden), dtype)
        h = h0
        for t in self.time_steps(length):
            slot = t if self.recording else 0
            np.matmul(h, weight_hh.T, out=gates_h)  # all three gates in one product
            r_z = np.add(gates_x[t, :, rz], gates_h[:, rz], out=reset_update[slot])
            sigmoid_in_place(r_z)
            reset, update = r_z[:, :hidden], r_z[:, hidden:]
            share_n = state_share_n[slot]
            if bias_hn is None:
                share_n[...] = gates_h[:, n_]
            else:
                np.add(gates_h[:, n_], bias_hn, out=share_n)
            n = np.multiply(reset, share_n, out=candidate[slot])
            n += gates_x[t, :, n_]
            np.tanh(n, out=n)
            h = np.subtract(h, n, out=states[t])  # h′ = n + z ⊙ (h − n)
            h *= update
            h += n
        if self.recording:
            self.x, self.h0, self.weight_ih, self.weight_hh = x, h0, weight_ih, weight_hh
            self.states, self.reset_update = states, reset_update
            self.candidate, self.state_share_n = candidate, state_share_n
        return states

    def gate_gradients(self, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        states, hidden = self.states, self.states.shape[-1]
        length, batch = states.shape[:2]
        r_, z_, rz, n_ = (slice(0, hidden), slice(hidden, 2 * hidden), slice(0, 2 * hidden),
                          slice(2 * hidden, 3 * hidden))
        grad_gates_x = np.empty((length, batch, 3 * hidden), states.dtype)
        grad_gates_h = np.empty_like(grad_gates_x)
        grad_h = np.zeros_like(self.h0)
        # scratch arrays, rewritten every step
        slope_n = np.empty_like(grad_h)
        slope_rz = np.empty((batch, 2 * hidden), states.dtype)
        from_below = np.empty_like(grad_h)
        for t in reversed(self.time_steps(length)):
            grad_h += grad[t]  # ∂L/∂h_t: its own output's, plus what step t + 1 handed back
            h_before = self.previous_state(states, t, self.h0)
            r_z, n = self.reset_update[t], self.candidate[t]
            reset, update = r_z[:, r_], r_z[:, z_]
            grad_x_t, grad_h_t = grad_gates_x[t], grad_gates_h[t]
            # ∂a_n = g ⊙ (1 − z) ⊙ (1 − n²)
            np.multiply(n, n, out=slope_n)
            np.subtract(1, slope_n, out=slope_n)
            grad_n_argument = np.subtract(1, update, out=grad_x_t[:, n_])
            grad_n_argument *= grad_h
            grad_n_argument *= slope_n
            np.multiply(grad_n_argument, reset, out=grad_h_t[:, n_])  # ∂hn = ∂a_n ⊙ r
            np.multiply(grad_n_argument, self.state_share_n[t], out=grad_x_t[:, r_])  # ∂r
            grad_update = np.subtract(h_before, n, out=grad_x_t[:, z_])  # ∂z = g ⊙ (h − n)
            grad_update *= grad_h
            np.subtract(1, r_z, out=slope_rz)  # σ′ = σ(1 − σ), for r and z at once
            slope_rz *= r_z
            grad_x_t[:, rz] *= slope_rz
            grad_h_t[:, rz] = grad_x_t[:, rz]
            grad_h *= update  # ∂h = g ⊙ z + ∂gates_h @ W_hh
            grad_h += np.matmul(grad_h_t, self.weight_hh, out=from_below)
        return grad_gates_x, grad_gates_h, grad_h

    @property
    def label(self) -> str:
        return "gru"


class LSTMLayer(RecurrentLayer):
    """The LSTM (gates i, f, g, o in that order in W_ih and W_hh):

        i, f, o = σ(·),  g = tanh(·)  of  x W_·ᵀ + b_i· + h W_h·ᵀ + b_h·,
        c′ = f ⊙ c + i ⊙ g,   h′ = o ⊙ tanh(c′).

    Inputs (x, h₀, c₀, W_ih: (4H, I), W_hh: (4H, H)[, b_ih, b_hh: (4H,)]). A Function has one
    output, so this one returns (T + 1, N, H): the states h_1 … h_T in time order, then the
    last cell state (c_T, or c at t = 0 when reversed) as row T.
    Backward of one step, with g_h = ∂L/∂h′ and g_c = ∂L/∂c′ (from the step after, plus
    g_h ⊙ o ⊙ (1 − tanh²c′)): ∂o = g_h ⊙ tanh c′, ∂i = g_c ⊙ g, ∂g = g_c ⊙ i, ∂f = g_c ⊙ c,
    ∂c = g_c ⊙ f; each gate's argument gets its gradient times σ′ = σ(1 − σ) or tanh′ = 1 − g².
    """

    gates = 4
    gate_names = ("i (input gate)", "f (forget gate)", "g (cell candidate)", "o (output gate)")
    state_inputs = 2

    def forward(self, x: np.ndarray, h0: np.ndarray, c0: np.ndarray, weight_ih: np.ndarray,
                weight_hh: np.ndarray, bias_ih: np.ndarray | None = None,
                bias_hh: np.ndarray | None = None) -> np.ndarray:
        # both biases join the input's share once for all steps; each step adds h @ W_hhᵀ
        bias = None if bias_ih is None else bias_ih + bias_hh
        gates = self.input_gates(x, weight_ih, bias)
        length, batch, _ = gates.shape
        hidden = weight_hh.shape[1]
        out = np.empty((length + 1, batch, hidden), gates.dtype)
        kept = length if self.recording else 1
        cells = np.empty((kept, batch, hidden), gates.dtype)
        tanh_cells = np.empty((kept, batch, hidden), gates.dtype)
        h, c = h0, c0
        for t in self.time_steps(length):
            slot = t if self.recording else 0
            gates_t = gates[t]
            gates_t += h @ weight_hh.T
            sigmoid_in_place(gates_t[:, :2 * hidden])  # i, f
            np.tanh(gates_t[:, 2 * hidden:3 * hidden], out=gates_t[:, 2 * hidden:3 * hidden])
            sigmoid_in_place(gates_t[:, 3 * hidden:])  # o
            i, f = gates_t[:, :hidden], gates_t[:, hidden:2 * hidden]
            g, o = gates_t[:, 2 * hidden:3 * hidden], gates_t[:, 3 * hidden:]
            c = np.multiply(f, c, out=cells[slot])
            c += i * g
            tanh_c = np.tanh(c, out=tanh_cells[slot])
            h = np.multiply(o, tanh_c, out=out[t])
        out[length] = c
        if self.recording:
            self.x, self.h0, self.c0 = x, h0, c0
            self.weight_ih, self.weight_hh = weight_ih, weight_hh
            self.states, self.activated_gates = out[:length], gates
            self.cells, self.tanh_cells = cells, tanh_cells
        return out

    def gate_gradients(self, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        gates, hidden = self.activated_gates, self.states.shape[-1]
        length = len(self.states)
        grad_gates = np.empty_like(gates)
        grad_h = np.zeros_like(self.h0)
        grad_c = np.array(grad[length])  # the last cell state's own gradient
        for t in reversed(self.time_steps(length)):
            grad_h = grad_h + grad[t]
            gates_t = gates[t]
            i, f = gates_t[:, :hidden], gates_t[:, hidden:2 * hidden]
            g, o = gates_t[:, 2 * hidden:3 * hidden], gates_t[:, 3 * hidden:]
            tanh_c = self.tanh_cells[t]
            c_before = self.previous_state(self.cells, t, self.c0)
            grad_c = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
            grad_t = grad_gates[t]
            np.multiply(grad_c, g, out=grad_t[:, :hidden])  # ∂i
            np.multiply(grad_c, c_before, out=grad_t[:, hidden:2 * hidden])  # ∂f
            np.multiply(grad_c, i, out=grad_t[:, 2 * hidden:3 * hidden])  # ∂g
            np.multiply(grad_h, tanh_c, out=grad_t[:, 3 * hidden:])  # ∂o
            sigmoid_slopes = gates_t * (1 - gates_t)
            sigmoid_slopes[:, 2 * hidden:3 * hidden] = 1 - g * g  # g is a tanh, not a σ
            grad_t *= sigmoid_slopes
            grad_c = grad_c * f
            grad_h = grad_t @ self.weight_hh
        return grad_gates, grad_gates, grad_h, grad_c

    @property
    def label(self) -> str:
        return "lstm"


def product_through_blas(self: RecurrentLayer, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """RecurrentLayer.product through ``glassnet._blas``, the same bits: NumPy's matmul does not
    hand a product over one feature (the input projection of a 1-feature sequence) to BLAS,
    and is 2-3 times slower there."""
    return _blas.matmul(a, b)


def input_gates_through_blas(
    self: RecurrentLayer, x: np.ndarray, weight_ih: np.ndarray, bias: np.ndarray | None
) -> np.ndarray:
    """RecurrentLayer.input_gates as one BLAS product that adds the bias as it goes: a column
    of ones beside x meets b as a row under W_ihᵀ, so the (T·N, G·H) result is written once,
    not written and then read and written again by the bias add. BLAS may round x·w + b once
    where the reference rounds twice (within ε·|x·w + b| per element)."""
    length, batch, features = x.shape
    rows, weights = x.reshape(length * batch, features), weight_ih.T
    if bias is not None:
        rows = np.concatenate([rows, np.ones((len(rows), 1), x.dtype)], axis=1)
        weights = np.concatenate([weights, bias[None]], axis=0)
    return _blas.matmul(rows, weights).reshape(length, batch, -1)


def column_sums_through_blas(self: RecurrentLayer, rows: np.ndarray) -> np.ndarray:
    """RecurrentLayer.column_sums as one BLAS product ones·rows; within M·ε·Σᵢ|rows[i]| of the
    exact sum, as NumPy's row-after-row sum is, though not bit for bit the same."""
    return _blas.sum_rows(rows)


fast_paths.install(RecurrentLayer, "product", product_through_blas)
fast_paths.install(RecurrentLayer, "column_sums", column_sums_through_blas)
fast_paths.install(RecurrentLayer, "input_gates", input_gates_through_blas)
