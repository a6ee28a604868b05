"""Every exportable layer, exported and run in onnxruntime: the same outputs as gn.predict."""

import numpy as np
import onnx.checker
import onnx.numpy_helper
import pytest

import glassnet as gn
import glassnet.onnx
from glassnet import nn

TOLERANCE = 1e-5


def with_random_affine(layer):
    """Normalisation layers start at γ = 1, β = 0; other values show the export uses them."""
    rng = np.random.default_rng(1)
    for parameter in layer.parameters():
        parameter.data[...] = rng.normal(1.0, 0.5, size=parameter.shape)
    return layer


def between(activation):
    """Linear → activation → Linear, so the activation sees varied positive and negative inputs."""
    return lambda: nn.Sequential(nn.Linear(4, 6), activation(), nn.Linear(6, 3))


# id -> (model factory, one sample's shape)
CASES = {
    "linear": (lambda: nn.Sequential(nn.Linear(4, 3)), (4,)),
    "linear-without-bias": (lambda: nn.Sequential(nn.Linear(4, 3, bias=False)), (4,)),
    "linear-on-3d-input": (lambda: nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (5, 4)),
    "linear-without-bias-on-3d": (lambda: nn.Sequential(nn.Linear(4, 3, bias=False)), (5, 4)),
    "relu": (between(nn.ReLU), (4,)),
    "leaky-relu": (between(lambda: nn.LeakyReLU(0.2)), (4,)),
    "sigmoid": (between(nn.Sigmoid), (4,)),
    "tanh": (between(nn.Tanh), (4,)),
    "softplus": (between(nn.Softplus), (4,)),
    "gelu": (between(nn.GELU), (4,)),
    "gelu-tanh": (between(lambda: nn.GELU("tanh")), (4,)),
    "softmax": (lambda: nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), (4,)),
    "softmax-last-axis-3d": (lambda: nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=-1)), (2, 4)),
    "softmax-middle-axis-3d": (lambda: nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), (2, 4)),
    "log-softmax": (lambda: nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1)), (4,)),
    "dropout": (between(lambda: nn.Dropout(0.5)), (4,)),
    "identity": (between(nn.Identity), (4,)),
    "flatten": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(6, 2)), (2, 3)),
    "flatten-inner-axes": (lambda: nn.Sequential(nn.Flatten(2), nn.Linear(12, 2)), (2, 3, 4)),
    "flatten-middle-axes": (lambda: nn.Sequential(nn.Flatten(1, 2), nn.Linear(4, 2)), (2, 3, 4)),
    "batch-norm": (lambda: nn.Sequential(nn.Linear(4, 5), with_random_affine(nn.BatchNorm1d(5)),
                                         nn.ReLU()), (4,)),
    "batch-norm-not-affine": (lambda: nn.Sequential(nn.BatchNorm1d(4, affine=False)), (4,)),
    "batch-norm-without-bias": (lambda: nn.Sequential(with_random_affine(
        nn.BatchNorm1d(4, bias=False))), (4,)),
    "batch-norm-batch-statistics": (lambda: nn.Sequential(with_random_affine(
        nn.BatchNorm1d(4, track_running_stats=False))), (4,)),
    "batch-norm-with-length": (lambda: nn.Sequential(with_random_affine(nn.BatchNorm1d(3))),
                               (3, 5)),
    "batch-norm-batch-statistics-with-length": (lambda: nn.Sequential(with_random_affine(
        nn.BatchNorm1d(3, track_running_stats=False))), (3, 5)),
    "layer-norm": (lambda: nn.Sequential(nn.Linear(4, 5), with_random_affine(nn.LayerNorm(5))),
                   (4,)),
    "layer-norm-not-affine": (lambda: nn.Sequential(nn.LayerNorm(4, elementwise_affine=False)),
                              (4,)),
    "layer-norm-without-bias": (lambda: nn.Sequential(with_random_affine(
        nn.LayerNorm(4, bias=False))), (4,)),
    "layer-norm-two-axes": (lambda: nn.Sequential(with_random_affine(nn.LayerNorm((3, 4)))),
                            (3, 4)),
    "nested-sequential": (lambda: nn.Sequential(nn.Sequential(nn.Linear(4, 5), nn.Tanh()),
                                                nn.Sequential(nn.Linear(5, 2))), (4,)),
    "named-layers": (lambda: nn.Sequential({"hidden": nn.Linear(4, 5), "act": nn.ReLU(),
                                            "out": nn.Linear(5, 2)}), (4,)),
    "single-layer": (lambda: nn.Linear(4, 2), (4,)),
}


def build(case):
    gn.manual_seed(0)
    factory, shape = CASES[case]
    model = factory()
    if any(isinstance(m, nn.BatchNorm1d) for m in model.modules()):
        model.train()  # a few batches move the running statistics away from 0 and 1
        rng = np.random.default_rng(2)
        for _ in range(3):
            model(gn.tensor(rng.normal(0.5, 2.0, size=(16, *shape)).astype(np.float32)))
    return model, shape


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("case", list(CASES))
def test_onnxruntime_matches_predict(case, opset, run_onnx, tmp_path):
    model, shape = build(case)
    path = tmp_path / "model.onnx"
    n_features = shape if len(shape) > 1 else None
    gn.onnx.export(model, path, n_features=n_features, opset=opset)
    onnx.checker.check_model(str(path), full_check=True)
    rng = np.random.default_rng(3)
    # BatchNorm on its batch's own statistics needs two rows: glassnet refuses one
    batches = (2, 64) if case == "batch-norm-batch-statistics" else (1, 64)
    for batch in batches:
        X = rng.normal(0.0, 3.0, size=(batch, *shape)).astype(np.float32)
        actual = run_onnx(str(path), X)["output"]
        expected = gn.predict(model, X)
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("case", ["softplus", "gelu", "gelu-tanh", "sigmoid", "tanh", "softmax",
                                  "log-softmax", "layer-norm", "batch-norm"])
def test_extreme_inputs_stay_finite_and_agree(case, run_onnx):
    model, shape = build(case)
    X = np.array([[1e4, -1e4, 30.0, -30.0], [1e30, -1e30, 0.0, 1e-30]], dtype=np.float32)
    with np.errstate(over="ignore"):
        expected = gn.predict(model, X)
    actual = run_onnx(gn.onnx.export(model, None), X)["output"]
    assert np.all(np.isfinite(actual)) == np.all(np.isfinite(expected))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=TOLERANCE)


def test_flatten_of_the_batch_axis_matches_the_layer(run_onnx):
    model = nn.Sequential(nn.Flatten(0, 1))  # (N, 2, 3) -> (N·2, 3): unusual but allowed
    X = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    actual = run_onnx(gn.onnx.export(model, None, n_features=(2, 3)), X)["output"]
    np.testing.assert_array_equal(actual, model(gn.tensor(X)).data)


def test_batch_axis_is_dynamic_and_named():
    model, _ = build("relu")
    proto = gn.onnx.export(model, None)
    for value in (proto.graph.input[0], proto.graph.output[0]):
        dims = value.type.tensor_type.shape.dim
        assert dims[0].dim_param == "batch"
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim[1:]] == [4]
    assert [d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim[1:]] == [3]


def test_export_uses_eval_mode_and_leaves_the_model_as_it_was(run_onnx):
    model, _ = build("dropout")
    model.train()
    before = model.state_dict()
    X = np.random.default_rng(4).normal(size=(8, 4)).astype(np.float32)
    actual = run_onnx(gn.onnx.export(model, None), X)["output"]
    assert model.training
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    np.testing.assert_allclose(actual, gn.predict(model, X), rtol=0, atol=TOLERANCE)


def test_linear_becomes_gemm_with_transposed_weight():
    model, _ = build("linear")
    proto = gn.onnx.export(model, None)
    gemm = next(node for node in proto.graph.node if node.op_type == "Gemm")
    assert {a.name: a.i for a in gemm.attribute}["transB"] == 1
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    np.testing.assert_array_equal(weights["model.0.weight"], model[0].weight.data)


def test_gelu_is_one_node_from_opset_20():
    model, _ = build("gelu")
    assert "Gelu" in {node.op_type for node in gn.onnx.export(model, None, opset=20).graph.node}
    assert "Gelu" not in {node.op_type for node in gn.onnx.export(model, None).graph.node}


def test_float64_model_exports_as_float32(float64_default, run_onnx):
    model, _ = build("gelu")
    X = np.random.default_rng(5).normal(size=(6, 4))
    actual = run_onnx(gn.onnx.export(model, None), X)["output"]
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, gn.predict(model, X), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("case", list(CASES))
def test_every_initializer_feeds_a_node(case):
    model, shape = build(case)
    graph = gn.onnx.export(model, None, n_features=shape if len(shape) > 1 else None).graph
    used = {name for node in graph.node for name in node.input}
    assert [t.name for t in graph.initializer if t.name not in used] == []
