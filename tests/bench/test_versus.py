"""bench/versus.py: another revision of glassnet, renamed, imports and trains beside this one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import versus
from peers import make_mlp_data

REPOSITORY = Path(__file__).resolve().parents[2]


def test_renaming_rewrites_every_whole_word_glassnet_and_nothing_else(tmp_path):
    package = tmp_path / "glassnet"
    (package / "cli").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from glassnet.core import x\n"
        "import glassnet.cli as cli\n"
        "ADAPTERS = {'cli': 'glassnet.cli'}\n"
        "import glassnet_contenders, myglassnet\n"
    )
    (package / "cli" / "__init__.py").write_text('importlib.import_module(f"glassnet.cli.{n}")\n')
    (package / "data.txt").write_text("glassnet\n")

    versus.rename_package(package, tmp_path / "glassnet_then")

    assert not package.exists()
    assert (tmp_path / "glassnet_then" / "__init__.py").read_text() == (
        "from glassnet_then.core import x\n"
        "import glassnet_then.cli as cli\n"
        "ADAPTERS = {'cli': 'glassnet_then.cli'}\n"
        "import glassnet_contenders, myglassnet\n"
    )
    cli = (tmp_path / "glassnet_then" / "cli" / "__init__.py").read_text()
    assert cli == 'importlib.import_module(f"glassnet_then.cli.{n}")\n'
    assert (tmp_path / "glassnet_then" / "data.txt").read_text() == "glassnet\n"  # .py files only


def _git_checkout() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    inside = subprocess.run(["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"],
                            capture_output=True)  # fmt: skip
    if inside.returncode != 0:
        pytest.skip("not a git checkout (versus.py compares git revisions)")


def test_a_name_that_is_not_a_commit_is_refused_by_name(tmp_path):
    _git_checkout()
    with pytest.raises(SystemExit, match="'no-such-revision' is not a commit"):
        versus.export_revision("no-such-revision", tmp_path)
    with pytest.raises(SystemExit, match="is not a commit"):
        versus.export_revision("--output=/tmp/x", tmp_path)  # an option is not taken as one
    assert list(tmp_path.iterdir()) == []


def test_head_imports_beside_glassnet_and_trains_the_same_weights(tmp_path, monkeypatch):
    _git_checkout()
    commit = versus.export_revision("HEAD", tmp_path)
    assert len(commit) == 40
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    try:
        now, then = versus.contenders_of("glassnet"), versus.contenders_of(versus.RENAMED)
        loaded = set(sys.modules) - before
        assert any(name == versus.RENAMED for name in loaded)
        # the copy imports only itself: nothing of it pulled in this checkout's modules again
        assert all(name.split(".")[0] != "glassnet" for name in loaded)
        assert sys.modules[versus.RENAMED].Tensor is not sys.modules["glassnet"].Tensor

        data = make_mlp_data(1024)
        runners = {}
        for version, module in (("now", now), ("then", then)):
            train = [c for c in module.CONTENDERS if c.kind == "train"]
            runners[version] = train[0].make(data)
            assert runners[version].run(3) == 3 * data.batch_size
        for a, b in zip(runners["now"].weights(), runners["then"].weights(), strict=True):
            # HEAD's source is this checkout's unless src/ has uncommitted changes
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
        assert any(not np.array_equal(w, p) for w, p in
                   zip(runners["then"].weights(), data.parameters, strict=True))  # it trained
    finally:
        for name in set(sys.modules) - before:
            if name.split(".")[0] == versus.RENAMED:
                del sys.modules[name]


def test_a_source_tree_over_the_bound_is_refused_before_it_is_read(tmp_path, monkeypatch):
    _git_checkout()
    monkeypatch.setattr(versus, "MAX_ARCHIVE_BYTES", 1000)  # src/glassnet is far larger
    with pytest.raises(SystemExit, match=r"holds \d+ MiB, over 0 MiB; expected a source tree"):
        versus.export_revision("HEAD", tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing archived or unpacked
