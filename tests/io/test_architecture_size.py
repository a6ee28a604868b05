"""A model file's architecture is bounded (modules, nesting) and refused by its size before any
layer of it is validated or built; gn.save says the bound too."""

from __future__ import annotations

import pytest

import glassnet as gn
from glassnet import nn
from glassnet.io import architecture
from glassnet.io.architecture import MAX_MODULES, MAX_NESTING
from glassnet.io.format import encode_file


def _file(config: dict) -> bytes:
    document = {"format": "glassnet.model", "format_version": 1, "glassnet_version": "0",
                "architecture": config, "metadata": {}}
    return encode_file({}, document)


@pytest.fixture
def validated_layers(monkeypatch) -> list[str]:
    """Every layer or Sequential that validation looked at, by its place."""
    seen: list[str] = []
    real_validate = architecture._validate

    def counting(config, where):
        seen.append(where)
        return real_validate(config, where)

    monkeypatch.setattr(architecture, "_validate", counting, raising=False)
    return seen


def test_one_module_over_the_bound_is_refused_before_any_layer_is_validated(validated_layers):
    data = _file({"type": "Sequential", "layers": [{"type": "ReLU"}] * MAX_MODULES})
    with pytest.raises(gn.ModelFormatError, match=rf"more than {MAX_MODULES} modules .*at most "
                                                  rf"{MAX_MODULES}"):
        gn.io.read_bundle(data)
    assert validated_layers == []


def test_the_bound_counts_nested_sequentials_and_their_layers(validated_layers):
    half = {"type": "Sequential", "layers": [{"type": "Tanh"}] * (MAX_MODULES // 2)}
    with pytest.raises(gn.ModelFormatError, match=f"more than {MAX_MODULES} modules"):
        gn.io.read_bundle(_file({"type": "Sequential", "layers": [half, half]}))
    assert validated_layers == []


def test_nesting_over_the_bound_is_refused_before_any_layer_is_validated(validated_layers):
    config = {"type": "ReLU"}
    for _ in range(MAX_NESTING + 1):
        config = {"type": "Sequential", "layers": [config]}
    with pytest.raises(gn.ModelFormatError, match=f"nested more than {MAX_NESTING} deep"):
        gn.io.read_bundle(_file(config))
    assert validated_layers == []


def test_a_model_of_exactly_the_bound_saves_and_loads(tmp_path):
    model = nn.Sequential(*[nn.Identity() for _ in range(MAX_MODULES - 1)])
    assert len(list(model.modules())) == MAX_MODULES
    gn.save(model, tmp_path / "wide.safetensors")
    assert len(list(gn.load(tmp_path / "wide.safetensors").modules())) == MAX_MODULES


def test_saving_a_model_over_the_bound_says_the_bound_before_describing_it(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(architecture, "describe", lambda *a: pytest.fail("described it"))
    model = nn.Sequential(*[nn.ReLU() for _ in range(MAX_MODULES)])
    with pytest.raises(ValueError, match=rf"cannot save this model: it has more than "
                                         rf"{MAX_MODULES} modules.*at most {MAX_MODULES}"):
        gn.save(model, tmp_path / "huge.safetensors")
    assert not (tmp_path / "huge.safetensors").exists()


def test_saving_a_model_nested_over_the_bound_says_the_bound(tmp_path):
    model: nn.Module = nn.ReLU()
    for _ in range(MAX_NESTING + 1):
        model = nn.Sequential(model)
    with pytest.raises(ValueError, match=f"cannot save this model: Sequentials nested more than "
                                         f"{MAX_NESTING} deep"):
        gn.save(model, tmp_path / "deep.safetensors")


def test_a_header_of_millions_of_tiny_objects_stops_parsing_at_the_object_bound(monkeypatch):
    """The architecture's bound is checked after parsing; the parser itself stops at
    MAX_JSON_OBJECTS, so such a file costs little memory before it is refused."""
    from glassnet.io import format as file_format

    built = 0
    real_loads = file_format.json.loads

    def counting_loads(text, **options):
        hook = options["object_pairs_hook"]

        def counted(pairs):
            nonlocal built
            built += 1
            return hook(pairs)

        return real_loads(text, **{**options, "object_pairs_hook": counted})

    monkeypatch.setattr(file_format.json, "loads", counting_loads)
    data = _file({"type": "Sequential", "layers": [{"type": "ReLU"}] * 1_000_000})
    with pytest.raises(gn.ModelFormatError, match=rf"more than {file_format.MAX_JSON_OBJECTS} "
                                                  "JSON objects"):
        gn.io.read_bundle(data)
    # the bound's worth of the document's million, and the two of the header around it
    assert built == file_format.MAX_JSON_OBJECTS + 1 + 2
