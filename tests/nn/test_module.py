"""Module: registration, modes, gradients, state_dict round trips and load errors, hooks."""

from collections import OrderedDict

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.out = nn.Linear(4, 2)
        self.scale = nn.Parameter(np.ones(2))

    def forward(self, x):
        return self.out(self.norm(self.hidden(x)).relu()) * self.scale


def test_attributes_register_parameters_modules_and_buffers():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "norm.weight", "norm.bias",
                     "out.weight", "out.bias"]
    assert [name for name, _ in model.named_children()] == ["hidden", "norm", "out"]
    assert [name for name, _ in model.named_buffers()] == [
        "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert model.num_parameters() == 3 * 4 + 4 + 4 + 4 + 4 * 2 + 2 + 2
    assert all(p.requires_grad for p in model.parameters())


def test_reassigning_replaces_registration():
    model = TwoLayer()
    model.scale = None
    assert "scale" not in dict(model.named_parameters())
    model.hidden = nn.Identity()
    assert "hidden.weight" not in model.state_dict()
    assert [name for name, _ in model.named_children()] == ["hidden", "norm", "out"]
    model.scale = nn.Parameter(np.ones(2))
    assert next(iter(model.state_dict())) == "scale"  # back in its place
    model.norm = "not a module"
    assert "norm.running_mean" not in model.state_dict()
    del model.out
    assert [name for name, _ in model.named_children()] == ["hidden"]


def test_reassigning_a_buffer_keeps_it_in_the_state_dict():
    norm = nn.BatchNorm1d(2)
    norm.running_mean = np.array([5.0, 6.0], dtype=np.float32)
    np.testing.assert_array_equal(norm.state_dict()["running_mean"], [5.0, 6.0])


def test_setting_attributes_before_super_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgetful()


def test_shared_parameter_is_listed_once():
    first = nn.Linear(2, 2)
    model = nn.Sequential(first, nn.ReLU(), first)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert list(model.state_dict()) == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3  # the Sequential, the shared Linear, the ReLU


def test_modules_and_parameters_list_what_their_named_forms_list_in_the_same_order():
    shared = nn.Linear(2, 2)
    inner = nn.Sequential(nn.Linear(2, 3), shared, nn.Sequential(nn.ReLU(), shared))
    model = nn.Sequential(OrderedDict(first=TwoLayer(), inner=inner, again=inner, last=shared))
    model.first.tied = shared  # the same Linear reached a fourth way, at a deeper level
    named_modules = [module for _, module in model.named_modules()]
    assert list(model.modules()) == named_modules
    assert len(named_modules) == len({id(m) for m in named_modules}) == 10
    named_parameters = [parameter for _, parameter in model.named_parameters()]
    assert list(model.parameters()) == named_parameters
    assert len(named_parameters) == 11  # TwoLayer's 7, then shared's 2, then inner's first 2


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.ReLU()))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_train_obeys_a_child_that_overrides_it():
    class FrozenNorm(nn.BatchNorm1d):
        """Keeps its running statistics: always in eval mode, whatever the parent asks."""

        def train(self, mode=True):
            return super().train(False)

    frozen = FrozenNorm(2)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(frozen, nn.Dropout()))
    model.train()
    assert not frozen.training
    assert model.training and model[0].training and model[1][1].training
    model(np.ones((4, 2), dtype=np.float32))  # in eval mode, the running statistics stay
    np.testing.assert_array_equal(frozen.running_mean, np.zeros(2))


def test_zero_grad_forgets_or_zeros_gradients():
    model = TwoLayer()
    model(np.ones((3, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(model.parameters(), grads, strict=True))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_freezes_and_counts_trainable():
    model = TwoLayer()
    model.hidden.requires_grad_(False)
    assert model.num_parameters(trainable_only=True) == model.num_parameters() - 16


def test_apply_visits_every_module_children_first():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 1)))
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Linear", "Sequential", "Sequential"]
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert not model[0].weight.data.any() and not model[1][0].weight.data.any()


def test_state_dict_holds_copies_of_parameters_and_buffers():
    model = TwoLayer()
    state = model.state_dict()
    assert list(state) == [  # each module's parameters, then its buffers, as in PyTorch
        "scale", "hidden.weight", "hidden.bias", "norm.weight", "norm.bias", "norm.running_mean",
        "norm.running_var", "norm.num_batches_tracked", "out.weight", "out.bias"]
    state["hidden.weight"][...] = 7.0
    assert not np.any(model.hidden.weight.data == 7.0)
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["hidden.weight"].dtype == np.float32
    assert state["norm.num_batches_tracked"].dtype == np.int64


def test_state_dict_round_trip_gives_identical_outputs():
    gn.manual_seed(1)
    trained = TwoLayer()
    x = np.random.default_rng(0).normal(size=(8, 3))
    for _ in range(3):  # move the running statistics away from their initial values
        trained(x + 1.0)
    gn.manual_seed(2)
    fresh = TwoLayer()
    trained.eval()
    fresh.eval()
    assert not np.allclose(fresh(x).data, trained(x).data)
    weight_array = fresh.hidden.weight.data
    result = fresh.load_state_dict(trained.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(fresh(x).data, trained(x).data)
    assert fresh.hidden.weight.data is weight_array  # loaded in place: optimizers keep working
    assert int(fresh.norm.num_batches_tracked) == 3


def test_load_state_dict_names_missing_unexpected_and_misshaped_keys_and_changes_nothing():
    model = TwoLayer()
    before = model.state_dict()
    state = model.state_dict()
    del state["out.bias"]
    state["extra.weight"] = np.zeros(3)
    state["hidden.weight"] = np.zeros((3, 4))
    state["norm.running_mean"] = np.full(4, 9.0)  # valid, but must not be applied
    with pytest.raises(gn.ShapeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "missing keys: out.bias" in message
    assert "unexpected keys: extra.weight" in message
    assert "hidden.weight: expected shape (4, 3), got (3, 4)" in message
    after = model.state_dict()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)


def test_load_state_dict_not_strict_reports_and_loads_the_rest():
    source, target = nn.Linear(2, 3), nn.Linear(2, 3)
    state = {"weight": source.weight.data, "stray": np.zeros(1)}
    result = target.load_state_dict(state, strict=False)
    assert result == nn.LoadResult(missing_keys=["bias"], unexpected_keys=["stray"])
    np.testing.assert_array_equal(target.weight.data, source.weight.data)
    with pytest.raises(gn.ShapeError, match="weight: expected shape"):
        target.load_state_dict({"weight": np.zeros(6)}, strict=False)


def test_load_state_dict_casts_to_the_parameter_dtype_and_accepts_tensors():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": gn.tensor([[1.0, 2.0]], dtype=np.float64),
                           "bias": np.array([3.0])})
    assert model.weight.dtype == np.float32
    np.testing.assert_array_equal(model(np.array([[1.0, 1.0]])).data, [[6.0]])


def test_load_state_dict_rejects_non_numeric_values():
    with pytest.raises(gn.ShapeError, match="bias: expected numbers"):
        nn.Linear(1, 1).load_state_dict({"weight": np.zeros((1, 1)), "bias": np.array(["a"])})


def test_call_runs_forward_and_hooks_see_inputs_and_outputs():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append((m, out.shape)))
    layer(np.ones((5, 2)))
    assert seen == [(layer, (5, 2))]
    handle.remove()
    layer(np.ones((5, 2)))
    assert len(seen) == 1
    with layer.register_forward_hook(lambda m, inputs, out: out * 0):
        assert not layer(np.ones((1, 2))).data.any()
    assert layer(np.ones((1, 2))).data.any()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        nn.Module()(1)


def test_repr_nests_children_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Dropout(p=0.1)\n"
        "  )\n"
        ")"
    )


@pytest.mark.parametrize("layer, text", [
    (nn.Linear(2, 3, bias=False), "Linear(in_features=2, out_features=3, bias=False)"),
    (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (nn.GELU(), "GELU(approximate='none')"),
    (nn.Softmax(), "Softmax(dim=-1)"),
    (nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
    (nn.Identity(), "Identity()"),
    (nn.BatchNorm1d(4),
     "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"),
    (nn.LayerNorm(4), "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"),
    (nn.MSELoss(), "MSELoss()"),
    (nn.HuberLoss(delta=0.5), "HuberLoss(delta=0.5)"),
    (nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1),
     "CrossEntropyLoss(reduction='sum', label_smoothing=0.1)"),
])
def test_layer_repr(layer, text):
    assert repr(layer) == text


class TestSequential:
    def test_names_layers_by_position_so_keys_match_pytorch(self):
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]

    def test_runs_layers_in_order(self):
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        x = np.random.default_rng(0).normal(size=(4, 2))
        expected = model[2](model[1](model[0](x)))
        np.testing.assert_array_equal(model(x).data, expected.data)

    def test_indexing_len_iteration_append(self):
        layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
        model = nn.Sequential(*layers)
        assert len(model) == 3 and list(model) == layers
        assert model[-1] is layers[2] and model[0] is layers[0]
        with pytest.raises(IndexError, match="index 3 is out of range"):
            model[3]
        tail = model[1:]
        assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
        assert [name for name, _ in tail.named_children()] == ["1", "2"]  # as PyTorch keeps them
        tail.append(nn.Sigmoid())
        assert [name for name, _ in tail.named_children()] == ["1", "2", "3"]
        sigmoid = nn.Sigmoid()
        assert model.append(sigmoid) is model and model[3] is sigmoid
        model[1] = nn.Tanh()
        assert isinstance(model[1], nn.Tanh) and "1" in dict(model.named_children())
        del model[1]
        assert len(model) == 3 and "1" not in dict(model.named_children())

    def test_accepts_named_layers_and_rejects_non_modules(self):
        model = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 2)), ("act", nn.ReLU())]))
        assert list(model.state_dict()) == ["hidden.weight", "hidden.bias"]
        with pytest.raises(TypeError, match="Sequential holds Modules; got function"):
            nn.Sequential(nn.ReLU(), lambda x: x)

    def test_empty_sequential_passes_input_through(self):
        x = gn.tensor([1.0, 2.0])
        assert nn.Sequential()(x) is x

    def test_module_list_registers_its_modules(self):
        class Stack(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])

        stack = Stack()
        assert len(stack.layers) == 3
        assert "layers.2.bias" in stack.state_dict()
        assert len(stack.layers[:2]) == 2
