"""The trained network as a file: glassnet's safetensors (``gn.load`` reads it) or ONNX.

The file holds the network exactly as the session has it: for two classes its one output is
the logit of class 1 (σ of it is the probability), for more the logits; the people's network
ends in its Sigmoid. ONNX needs the onnx extra; without it, ImportError names the extra.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

CONTENT_TYPE = "application/octet-stream"


def exported_file(session: Any, form: str) -> tuple[bytes, str, str]:
    """(the file's bytes, its content type, a file name) for form "safetensors" or "onnx"."""
    import glassnet as gn

    name = f"playground-{session.dataset.name}"
    if form == "onnx":
        from glassnet import onnx as gn_onnx

        gn_onnx.require_onnx("ONNX export")
        proto = gn_onnx.export(session.model, None)
        return proto.SerializeToString(), CONTENT_TYPE, f"{name}.onnx"
    with tempfile.TemporaryDirectory(prefix="glassnet-playground-") as folder:
        path = os.path.join(folder, "model.safetensors")
        gn.save(session.model, path, metadata={"playground": session.config.to_json(),
                                                "feature_names": session.dataset.input_names})
        with open(path, "rb") as file:
            return file.read(), CONTENT_TYPE, f"{name}.safetensors"
