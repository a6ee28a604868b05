"""Embedding: PyTorch's lookup, init and padding row; gradients summed over repeated indices;
bad indices refused before anything changes; saved, loaded, exported and trained by gn.fit."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.io.format import encode_file


def test_lookup_and_gradient_sum_repeated_indices(float64_default):
    layer = nn.Embedding(5, 3)
    indices = np.array([[1, 3, 1], [4, 1, 0]])
    out = layer(indices)
    np.testing.assert_array_equal(out.data, layer.weight.data[indices])
    upstream = np.arange(18.0).reshape(2, 3, 3)
    (out * gn.tensor(upstream)).sum().backward()
    expected = np.zeros((5, 3))
    np.add.at(expected, indices.ravel(), upstream.reshape(-1, 3))
    np.testing.assert_array_equal(layer.weight.grad, expected)
    row_one = upstream[0, 0] + upstream[0, 2] + upstream[1, 1]  # index 1 read three times
    np.testing.assert_array_equal(layer.weight.grad[1], row_one)


def test_gradients_match_finite_differences(float64_default):
    indices = np.array([[0, 2, 5], [5, 5, 1]])
    weight = gn.tensor(np.random.default_rng(0).normal(size=(6, 2)), requires_grad=True)
    assert gn.gradcheck(lambda w: F.embedding(indices, w).tanh(), [weight])


def test_padding_row_starts_at_zero_and_never_gets_a_gradient():
    gn.manual_seed(0)
    layer = nn.Embedding(4, 3, padding_idx=-1)
    assert layer.padding_idx == 3
    np.testing.assert_array_equal(layer.weight.data[3], 0)
    layer.weight.data[3] = 7.0
    layer(np.array([3, 3, 0])).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad[3], 0)
    np.testing.assert_array_equal(layer.weight.grad[0], 1)


def test_init_is_standard_normal():
    gn.manual_seed(1)
    weights = nn.Embedding(2000, 50).weight.data
    assert weights.mean() == pytest.approx(0, abs=0.01)
    assert weights.std() == pytest.approx(1, rel=0.01)


@pytest.mark.parametrize("indices, error, message", [
    (np.array([[0, 1], [5, 2]]), IndexError,
     r"index 5 at position \(1, 0\) is out of range; indices must be from 0 to 4"),
    (np.array([1, -1]), IndexError, r"index -1 at position \(1,\)"),
    (np.array([0.0, 2.5]), gn.DTypeError, r"integer indices; got 2.5 at position \(1,\)"),
    (np.array([0.0, np.nan]), gn.DTypeError, "integer indices; got nan"),
    (np.array(["a"]), gn.DTypeError, "integer indices; got dtype <U1"),
    (np.array([True]), gn.DTypeError, "integer indices; got dtype bool"),
])
def test_bad_indices_are_refused_before_anything_changes(indices, error, message):
    layer = nn.Embedding(5, 2)
    before = layer.weight.data.copy()
    with pytest.raises(error, match=message):
        layer(indices)
    np.testing.assert_array_equal(layer.weight.data, before)


def test_whole_floats_are_indices():
    # gn.fit and gn.predict hand a model its X in the model's float dtype
    layer = nn.Embedding(4, 3)
    indices = np.array([[0, 1], [3, 2]])
    np.testing.assert_array_equal(layer(indices.astype(np.float32)).data, layer(indices).data)


def test_float_indices_are_refused_where_they_cannot_count_the_rows():
    table = gn.tensor(np.zeros((2**24 + 2, 1), np.float32))
    with pytest.raises(gn.DTypeError, match="pass the indices as integers"):
        F.embedding(np.array([1.0], np.float32), table)
    assert F.embedding(np.array([2**24 + 1]), table).shape == (1, 1)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="padding_idx must be an integer from -3 to 2"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match="num_embeddings must be a positive integer"):
        nn.Embedding(0, 2)


def test_matches_torch_and_loads_its_state_dict(float64_default):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding(7, 4, padding_idx=2).double()
    ours = nn.Embedding(7, 4, padding_idx=2)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    indices = np.array([[2, 6, 6], [0, 2, 1]])
    weights = np.random.default_rng(0).normal(size=(2, 3, 4))
    out = ours(indices)
    (out * gn.tensor(weights, dtype=np.float64)).sum().backward()
    torch_out = theirs(torch.tensor(indices))
    (torch_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10)


def test_save_load_and_onnx_export(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    gn.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 3, padding_idx=0), nn.Flatten(), nn.Linear(12, 2))
    X = np.random.default_rng(0).integers(0, 10, size=(5, 4)).astype(np.float32)
    gn.save(model, tmp_path / "embedding.safetensors")
    loaded = gn.load(tmp_path / "embedding.safetensors")
    assert loaded[0].padding_idx == 0
    with gn.no_grad():
        expected = model(X).data
        np.testing.assert_array_equal(loaded(X).data, expected)
    exported = gn.onnx.export(model, None, n_features=(4,))
    session = onnxruntime.InferenceSession(exported.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": X})
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("settings", [
    {"num_embeddings": 3, "embedding_dim": 2, "padding_idx": 3},
    {"num_embeddings": 3, "embedding_dim": 2, "padding_idx": [1]},
    {"num_embeddings": 3, "embedding_dim": 2, "padding_idx": -1},
    {"num_embeddings": 0, "embedding_dim": 2, "padding_idx": None},
    {"num_embeddings": 3, "embedding_dim": 2.5, "padding_idx": None},
])
def test_hostile_settings_in_a_file_are_refused(settings, tmp_path):
    rows, dim = settings["num_embeddings"], settings["embedding_dim"]
    shape = (rows, dim) if isinstance(dim, int) and rows > 0 else (1, 1)
    document = {"format": "glassnet.model", "format_version": 1, "glassnet_version": "0",
                "architecture": {"type": "Sequential",
                                 "layers": [{"type": "Embedding", **settings}]},
                "metadata": {}}
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(encode_file({"0.weight": np.zeros(shape, np.float32)}, document))
    with pytest.raises(gn.ModelFormatError):
        gn.load(path)


def test_fit_and_predict_take_index_columns_for_a_model_that_starts_with_an_embedding():
    from glassnet import optim

    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 10, size=(64, 4))  # four word indices per row
    y = (X[:, 0] >= 5).astype(np.int64)
    model = nn.Sequential(nn.Embedding(10, 3), nn.Flatten(), nn.Linear(12, 2))
    history = gn.fit(model, X, y, loss="cross_entropy", epochs=30, batch_size=16, verbose=0,
                     optimizer=optim.Adam(model.parameters(), lr=0.05), metrics=["accuracy"])
    assert history.history["accuracy"][-1] > 0.9
    assert gn.predict(model, X[:5]).shape == (5, 2)


def test_explain_writes_an_embedding_element_as_its_sum_over_the_places_that_look_it_up():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 3, padding_idx=0), nn.Flatten(), nn.Linear(12, 2))
    indices = np.array([[1, 2, 3, 1], [0, 1, 5, 5]])
    loss = F.cross_entropy(model(gn.tensor(indices)), gn.tensor(np.array([1, 0])))
    model[0].weight.name = "E"
    explanation = gn.explain(loss, model[0].weight, index=(1, 0))
    loss.backward(retain_graph=True)
    assert explanation.value == pytest.approx(float(model[0].weight.grad[1, 0]), rel=1e-6)
    [link] = explanation.links
    assert "Σ over the 3 places (n, p1) whose index is 1" in link.formula
    assert sorted(term.position for term in link.largest) == [(0, 0), (0, 3), (1, 1)]
    assert sum(term.value for term in link.largest) == pytest.approx(explanation.value, rel=1e-6)
    padding = gn.explain(F.cross_entropy(model(gn.tensor(indices)), gn.tensor(np.array([1, 0]))),
                         model[0].weight, index=(0, 0))
    assert padding.value == 0 and "padding row" in str(padding)
