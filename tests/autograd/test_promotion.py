"""Type promotion is PyTorch's: integers never widen a float, Python numbers never widen a
tensor of their category, and 0-d tensors count only when their category is higher."""

import itertools

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.autograd import from_numpy, result_type

# every dtype glassnet and PyTorch both compute with
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PAIRS = list(itertools.product(DTYPES, repeat=2))
STANDINGS = {"dim-dim": (1, 1), "dim-0d": (1, 0), "0d-dim": (0, 1), "0d-0d": (0, 0)}
NUMBERS = [True, 3, -2, 2.5]


def ours(dtype: str, ndim: int = 1) -> gn.Tensor:
    return from_numpy(np.ones((2,) * ndim, dtype=dtype))


def theirs(torch, dtype: str, ndim: int = 1):
    return torch.ones((2,) * ndim, dtype=getattr(torch, dtype))


def torch_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


# -- the table, against torch.result_type --------------------------------------------------------
@pytest.mark.parametrize("standing", STANDINGS)
def test_result_type_matches_torch_for_every_pair(standing):
    torch = pytest.importorskip("torch")
    ndim_a, ndim_b = STANDINGS[standing]
    mismatches = [
        (a, b, str(result_type(ours(a, ndim_a), ours(b, ndim_b))), expected)
        for a, b in PAIRS
        if str(result_type(ours(a, ndim_a), ours(b, ndim_b))) != (expected := torch_name(
            torch.result_type(theirs(torch, a, ndim_a), theirs(torch, b, ndim_b))))
    ]
    assert mismatches == []


@pytest.mark.parametrize("ndim", [1, 0], ids=["dim", "0d"])
def test_result_type_with_python_numbers_matches_torch(ndim):
    torch = pytest.importorskip("torch")
    mismatches = [
        (dtype, number, str(result_type(ours(dtype, ndim), number)), expected)
        for dtype in DTYPES for number in NUMBERS
        if str(result_type(ours(dtype, ndim), number)) != (expected := torch_name(
            torch.result_type(theirs(torch, dtype, ndim), number)))
    ]
    assert mismatches == []


@pytest.mark.parametrize(
    "a, b, expected",
    [
        pytest.param("float32", "int64", "float32", id="int-never-widens-float"),
        pytest.param("float16", "int64", "float16", id="int-never-widens-float16"),
        pytest.param("int8", "uint8", "int16", id="signed-unsigned"),
        pytest.param("bool", "int8", "int8", id="bool-int"),
        pytest.param("float32", "float64", "float64", id="float-widths"),
        pytest.param("uint16", "int8", "int32", id="uint16-int8"),
        pytest.param("uint32", "int64", "int64", id="uint32-int64"),
        pytest.param("uint64", "float32", "float32", id="uint64-float32"),
        pytest.param("uint8", "uint64", "uint64", id="unsigned-widths"),
    ],
)
def test_result_type_fixed_expectations(a, b, expected):
    assert result_type(ours(a), ours(b)) == np.dtype(expected)
    assert (ours(a) + ours(b)).dtype == np.dtype(expected)


def test_a_0d_tensor_counts_only_when_its_category_is_higher():
    assert result_type(ours("float32"), ours("float64", 0)) == np.float32
    assert result_type(ours("int64"), ours("float64", 0)) == np.float64
    assert result_type(ours("int8"), ours("int64", 0)) == np.int8
    assert result_type(ours("float32", 0), ours("float64", 0)) == np.float64


def test_python_numbers_take_the_default_dtype_of_their_category(float64_default):
    assert result_type(ours("int64"), 2.5) == np.float64
    assert (ours("int32") * 2.5).dtype == np.float64
    assert (ours("float32") * 2.5).dtype == np.float32


def test_an_int_and_an_unsigned_64_bit_int_are_refused():
    with pytest.raises(gn.DTypeError, match="uint64 and int64"):
        ours("uint64") + ours("int64")


# -- the ops follow the table ----------------------------------------------------------------------
BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", BINARY_OPS)
@pytest.mark.parametrize("standing", ["dim-dim", "dim-0d"])
def test_binary_ops_give_torchs_dtype_for_every_pair(op, standing):
    torch = pytest.importorskip("torch")
    ndim_a, ndim_b = STANDINGS[standing]
    function = BINARY_OPS[op]
    mismatches = []
    for a, b in PAIRS:
        left, right = theirs(torch, a, ndim_a), theirs(torch, b, ndim_b)
        if op == "sub" and "bool" in (a, b):
            if a == b == "bool":  # refused by PyTorch, and by NumPy under glassnet
                with pytest.raises(TypeError):
                    function(ours(a, ndim_a), ours(b, ndim_b))
                continue
            # PyTorch refuses any bool operand of −; glassnet subtracts in the promoted dtype
            expected = torch_name(torch.result_type(left, right))
        else:
            expected = torch_name(function(left, right).dtype)
        got = str(function(ours(a, ndim_a), ours(b, ndim_b)).dtype)
        if got != expected:
            mismatches.append((a, b, got, expected))
    assert mismatches == []


@pytest.mark.parametrize("op", BINARY_OPS)
@pytest.mark.parametrize("reflected", [False, True], ids=["tensor-number", "number-tensor"])
def test_ops_with_python_numbers_give_torchs_dtype(op, reflected):
    torch = pytest.importorskip("torch")
    function = BINARY_OPS[op]
    mismatches = []
    for dtype, number in itertools.product(DTYPES, NUMBERS):
        pair = (number, ours(dtype)) if reflected else (ours(dtype), number)
        reference = (number, theirs(torch, dtype)) if reflected else (theirs(torch, dtype), number)
        if dtype == "uint8" and number == -2:  # PyTorch wraps −2 around to 254; glassnet refuses
            with pytest.raises(gn.DTypeError, match="does not fit uint8"):
                function(*pair)
            continue
        if op == "sub" and (dtype == "bool" or number is True):
            if dtype == "bool" and number is True:  # bool − bool, refused by both
                continue
            expected = torch_name(torch.result_type(*reference))  # see the test above
        else:
            expected = torch_name(function(*reference).dtype)
        got = str(function(*pair).dtype)
        if got != expected:
            mismatches.append((dtype, number, got, expected))
    assert mismatches == []


def test_int_tensor_powers_follow_the_table():
    assert (ours("int64") ** 2).dtype == np.int64
    assert (ours("int64") ** 0.5).dtype == np.float32
    assert (ours("bool") ** 2).dtype == np.int64
    assert (2.5 ** ours("int32")).dtype == np.float32
    assert (ours("float32") ** ours("int64")).dtype == np.float32


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda a, b: a @ b, id="matmul-operator"),
        pytest.param(gn.matmul, id="matmul"),
        pytest.param(lambda a, b: gn.where(np.array([True, False]), a, b), id="where"),
        pytest.param(lambda a, b: gn.concatenate([a, b]), id="concatenate"),
        pytest.param(lambda a, b: gn.stack([a, b]), id="stack"),
    ],
)
@pytest.mark.parametrize("a, b, expected", [
    ("float32", "int64", "float32"), ("int64", "float32", "float32"), ("int8", "uint8", "int16"),
    ("float32", "float64", "float64"), ("bool", "int32", "int32"),
])  # fmt: skip
def test_joining_ops_and_matmul_promote_like_binary_ops(make, a, b, expected):
    assert make(ours(a), ours(b)).dtype == np.dtype(expected)


def test_where_with_numbers_takes_the_tensors_dtype_as_torch():
    mask = np.array([True, False])
    assert gn.where(mask, ours("float64"), 0.0).dtype == np.float64
    assert gn.where(mask, ours("int64"), 0.5).dtype == np.float32
    assert gn.where(mask, 1.0, 0.0).dtype == np.float32


# -- arrays, lists, and values that do not fit ----------------------------------------------------
def test_arrays_and_lists_count_by_category_not_width():
    assert (ours("float32") * np.ones(2, dtype=np.float64)).dtype == np.float32
    assert (ours("int64") * np.full(2, 0.5)).dtype == np.float32
    precise = gn.tensor([3.0, 7.0], dtype=np.float64)
    np.testing.assert_array_equal((precise * [0.1, 0.1]).data, precise.data * 0.1)  # no float32


@pytest.mark.parametrize("other", [1000, [1000, 0], np.array([1000, 0])],
                         ids=["number", "list", "array"])
def test_integers_that_do_not_fit_the_result_are_refused_not_wrapped(other):
    with pytest.raises(gn.DTypeError, match="int8"):
        ours("int8") + other


# -- gradients cross the promotion ----------------------------------------------------------------
def test_a_float32_leaf_promoted_to_float64_gets_a_float32_gradient():
    weight = gn.tensor([[1.0, 2.0]], requires_grad=True)
    x = gn.tensor([[3.0], [4.0]], dtype=np.float64)
    out = x @ weight
    assert out.dtype == np.float64
    out.sum().backward()
    assert weight.grad.dtype == np.float32
    np.testing.assert_array_equal(weight.grad, [[7.0, 7.0]])


# -- layers given integer batches ----------------------------------------------------------------
def test_a_float32_linear_given_an_int64_batch_returns_float32():
    layer = nn.Linear(3, 2)
    batch = gn.tensor(np.arange(6).reshape(2, 3))
    assert batch.dtype == np.int64
    out = layer(batch)
    assert out.dtype == np.float32
    expected = batch.data.astype(np.float32) @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)
    assert F.linear(batch, layer.weight, layer.bias).dtype == np.float32
    with gn.no_grad():  # Sequential passes bare arrays between layers there
        assert nn.Sequential(layer, nn.ReLU())(batch).dtype == np.float32
    out.sum().backward()
    assert layer.weight.grad.dtype == np.float32


@pytest.mark.parametrize("layer", [nn.BatchNorm1d(3), nn.LayerNorm(3),
                                   nn.BatchNorm1d(3, affine=False)],
                         ids=["batchnorm", "layernorm", "batchnorm-no-affine"])
def test_normalization_layers_given_an_int_batch_return_float32(layer):
    batch = gn.tensor(np.array([[1, 2, 3], [4, 6, 8]]))
    out = layer(batch)
    assert out.dtype == np.float32
    reference = layer(gn.tensor(batch.data.astype(np.float32)))
    np.testing.assert_allclose(out.data, reference.data, rtol=1e-6)


@pytest.mark.parametrize(
    "loss",
    [F.mse_loss, F.l1_loss, F.huber_loss, F.binary_cross_entropy_with_logits,
     lambda x, y: F.binary_cross_entropy(x.sigmoid(), y)],
    ids=["mse", "l1", "huber", "bce-with-logits", "bce"],
)
def test_losses_given_an_int64_target_tensor_stay_float32(loss):
    output = gn.tensor([[0.2], [0.7]], requires_grad=True)
    labels = gn.tensor(np.array([[0], [1]]))
    value = loss(output, labels)
    assert value.dtype == np.float32
    reference = loss(gn.tensor(output.data), gn.tensor(labels.data.astype(np.float32)))
    np.testing.assert_allclose(value.data, reference.data, rtol=1e-6)
    value.backward()
    assert output.grad.dtype == np.float32
