"""The API reference: HTML pages made by pdoc from the docstrings of the installed glassnet.

    make docs                          # installs the "docs" extra, then writes site/
    .venv/bin/python docs/api.py site  # the same, into any folder

Every public module (no leading underscore) of glassnet gets a page, with each name its
``__all__`` lists (a module without ``__all__``: each public name it defines), every
parameter from the signature, and the docstring read as numpydoc with reStructuredText's
``literals``; the ``>>>`` examples show as code (tests/training/test_docstring_examples.py runs
those of ``fit`` and the callbacks). Open ``site/index.html``.
"""

from __future__ import annotations

import argparse
import pkgutil
from pathlib import Path

# The command line's modules: `glassnet --help` and the README document the commands.
NOT_API = ("cli",)


def public_modules() -> list[str]:
    """"glassnet", then each top-level module of it not starting with "_" that pdoc would not
    reach from "glassnet" (it follows the submodules that ``glassnet.__all__`` names); pdoc walks
    on from each into its public submodules."""
    import glassnet

    skipped = {*glassnet.__all__, *NOT_API}
    names = [m.name for m in pkgutil.iter_modules(glassnet.__path__)]
    return ["glassnet", *sorted(f"glassnet.{name}" for name in names
                                if not name.startswith("_") and name not in skipped)]  # fmt: skip


def build(output: Path) -> list[Path]:
    """Write the HTML reference into ``output``; returns the pages written."""
    import pdoc
    import pdoc.render

    import glassnet

    pdoc.render.configure(docformat="numpy", footer_text=f"glassnet {glassnet.__version__}")
    pdoc.pdoc(*public_modules(), output_directory=output)
    return sorted(output.rglob("*.html"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default="site", type=Path,
                        help="folder for the HTML pages (default: site)")  # fmt: skip
    output = parser.parse_args().output
    pages = build(output)
    print(f"{len(pages)} pages in {output}/: open {output / 'index.html'}")


if __name__ == "__main__":
    main()
