"""glassnet as checked out against glassnet at another git revision, both in one process.

A change's before and after: each version's contenders (``glassnet_contenders.py``, written the
way a user writes them) run interleaved, round by round, beside the same peers (the fused NumPy
bar; NumPy's forward), and every target is reported for both versions along with the ratio of
the two. In one process both versions meet the same machine: measured here, the ratio of
glassnet's loop to the bar moves by ±3% from one process to the next (where NumPy's arrays land
in a cache line), more than a change of a few percent, so runs made one after the other cannot
tell whether the change cost anything. The ratio now/then of one round cancels it.

The other revision is taken with ``git archive REV src/glassnet``, unpacked into a temporary
folder and renamed ``glassnet_then`` (every whole word ``glassnet`` in its .py files: imports,
import strings and messages alike), so that both versions import side by side. Its public API
must be the one the contenders use (``nn.Sequential``, ``F.cross_entropy``, ``optim.SGD``,
``gn.fit``, ``gn.predict``, ``gn.no_grad``); a revision without it is refused, naming what is
missing. Both run with the bench's malloc thresholds (a revision that set them at import sets
the same ones).

    .venv/bin/python bench/versus.py REV [--rounds 41] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
import tarfile
import tempfile
import types
from pathlib import Path

from harness import (
    Target,
    format_table,
    interleaved_rates,
    ratio_target,
    tune_allocator_for_this_process,
    write_json,
)
from peers import MLPData, all_contenders, make_mlp_data
from peers_tiny import STEPS as TINY_STEPS
from peers_tiny import make_tiny_data

HERE = Path(__file__).resolve().parent
RENAMED = "glassnet_then"
WHOLE_WORD = re.compile(r"\bglassnet\b")
# per kind: (steps per run, the peer both versions are compared with and its bar, if any)
KINDS = {
    "train": (64, "numpy_fused", 0.9),
    "infer": (32, "numpy", 0.95),
    "latency": (2000, None, None),
    "tiny": (TINY_STEPS, None, None),
}
MAX_ARCHIVE_BYTES = 64 << 20  # src/glassnet is under 2 MiB; a tree far larger is refused


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare with (a commit, tag, HEAD~3)")
    parser.add_argument("--rounds", type=int, default=41, help="timed rounds (median reported)")
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    parser.add_argument("--json", help="also write the rates of every round to this file")
    return parser.parse_args()


def export_revision(revision: str, into: Path, repository: Path = HERE.parent) -> str:
    """Unpack ``src/glassnet`` at ``revision`` into ``into/glassnet_then``; returns the commit."""
    def git(*arguments: str, refusal: str = "") -> bytes:
        done = subprocess.run(["git", "-C", str(repository), *arguments], capture_output=True)
        if done.returncode != 0:
            message = refusal or done.stderr.decode(errors="replace").strip()
            raise SystemExit(f"versus: {message}")
        return done.stdout

    commit = git("rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}",
                 refusal=f"{revision!r} is not a commit of {repository}.").decode().strip()
    git("cat-file", "-e", f"{commit}:src/glassnet/__init__.py",
        refusal=f"{revision} has no src/glassnet package.")
    # the files' sizes from the tree, before anything is read: "mode type sha size path" lines
    listing = git("ls-tree", "-r", "-l", commit, "src/glassnet").decode(errors="replace")
    size = sum(int(line.split()[3]) for line in listing.splitlines() if line.split()[3].isdigit())
    if size > MAX_ARCHIVE_BYTES:
        raise SystemExit(f"versus: src/glassnet at {revision} holds {size >> 20} MiB, over "
                         f"{MAX_ARCHIVE_BYTES >> 20} MiB; expected a source tree.")
    archive = into / "revision.tar"
    archive.write_bytes(git("archive", "--format=tar", commit, "src/glassnet"))
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    rename_package(into / "src" / "glassnet", into / RENAMED)
    return commit


def rename_package(source: Path, target: Path) -> None:
    """Move the package at ``source`` to ``target`` and rewrite every whole word ``glassnet``
    in its .py files to the target's name (``glassnet_contenders`` and the like stay)."""
    source.rename(target)
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(WHOLE_WORD.sub(target.name, text), encoding="utf-8")


def contenders_of(package: str) -> types.ModuleType:
    """``glassnet_contenders.py`` with ``package`` in place of glassnet."""
    source = WHOLE_WORD.sub(package, (HERE / "glassnet_contenders.py").read_text(encoding="utf-8"))
    module = types.ModuleType(f"contenders_{package}")
    module.__file__ = str(HERE / "glassnet_contenders.py")
    try:
        exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
    except (ImportError, AttributeError) as error:
        raise SystemExit(f"versus: {package} lacks what the contenders use: {error}") from error
    return module


def runners(kind: str, versions: dict[str, types.ModuleType], data: MLPData) -> dict:
    """The runners of one kind: every version's glassnet contenders, and the kind's peer. A
    contender is named as in this checkout (the renaming also renamed the word in its name)."""
    steps, peer, _ = KINDS[kind]
    tiny = make_tiny_data() if kind == "tiny" else None
    names = [contender.name for contender in versions["now"].CONTENDERS]
    made = {}
    for version, module in versions.items():
        for name, contender in zip(names, module.CONTENDERS, strict=True):
            if contender.kind == kind:
                made[f"{name} {version}"] = contender.make(tiny or data)
    for contender in all_contenders(kind):
        if contender.name == peer:
            made[peer] = contender.make(data)
    return {name: (lambda runner=runner: runner.run(steps)) for name, runner in made.items()}


def targets(kind: str, rates: dict[str, list[float]]) -> list[Target]:
    """Speed now / then for each contender (≥ 1: no slower), and each version against the peer.
    Every rate is steps (samples, calls, updates) per second, so a speed ratio for every kind."""
    _, peer, bar = KINDS[kind]
    found = []
    for name in rates:
        if name.endswith(" now"):
            base = name.removesuffix(" now")
            found.append(ratio_target(f"{kind}: {base} now / then", rates[name],
                                      rates[f"{base} then"], 1.0))
            for version in ("then", "now"):
                if peer is not None:
                    found.append(ratio_target(f"{kind}: {base} {version} / {peer} >= {bar}x",
                                              rates[f"{base} {version}"], rates[peer], bar))
    return found


def comparison_table(found: list[Target]) -> str:
    """targets_table, with now / then judged as faster, slower or the same within noise."""
    words = {"met": "faster", "missed": "slower", "within noise": "same within noise"}
    rows = [[t.label, f"{t.ratio:.2f}x", f"{t.low:.2f}-{t.high:.2f}",
             words[t.verdict] if " now / then" in t.label else t.verdict] for t in found]
    return format_table(["measurement", "ratio", "95% interval", "verdict"], rows)


def main() -> None:
    arguments = parse_arguments()
    rounds = 5 if arguments.quick else arguments.rounds
    tune_allocator_for_this_process()
    with tempfile.TemporaryDirectory(prefix="glassnet-versus-") as folder:
        commit = export_revision(arguments.revision, Path(folder))
        sys.path.insert(0, folder)
        importlib.import_module(RENAMED)
        versions = {"now": contenders_of("glassnet"), "then": contenders_of(RENAMED)}
        print(f"glassnet now: {HERE.parent}; then: {arguments.revision} ({commit[:12]}); "
              f"{rounds} rounds after 1 warm-up, interleaved, in one process")  # fmt: skip
        data = make_mlp_data()
        results, found = {}, []
        for kind in KINDS:
            results[kind] = interleaved_rates(runners(kind, versions, data), rounds).rates
            found += targets(kind, results[kind])
    print("\nmedian of the per-round ratios, 95% bootstrap interval; a speed ratio now / then "
          "reads faster or slower only when its whole interval lies on that side of 1")
    print(comparison_table(found))
    write_json(arguments.json, {"revision": arguments.revision, "commit": commit,
                                "rates": results, "targets": [t.to_json() for t in found]})


if __name__ == "__main__":
    main()
