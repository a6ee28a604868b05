"""``glassnet playground``: watch a network learn in the browser, every weight explaining itself.

Starts a local web server (glassnet.playground) and prints one line, ``Playground at
http://HOST:PORT/``; opens the page unless --no-browser. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
from typing import Any

from glassnet.cli._tabular import BadInput, paragraph, refuses_bad_input


def port_number(text: str) -> int:
    """0 to 65535, for argparse's ``type=`` (0: any free port)."""
    if text.strip().isdigit() and 0 <= int(text) <= 65535:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "playground",
        help="train a small network in your browser and see every gradient explained",
        description=paragraph(
            "Start the playground: a local web page that trains a small network on the "
            "tutorial's people, XOR, circles, spirals, blobs, a regression surface or your CSV "
            "file, draws the decision boundary and every neuron, and explains any weight's "
            "gradient with the chain rule and its numbers. Prints 'Playground at "
            "http://HOST:PORT/' and serves until Ctrl-C. Only requests addressed to HOST:PORT "
            "are answered."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on; default: 127.0.0.1 (this computer only)")
    parser.add_argument("--port", type=port_number, default=8000,
                        help="the port; 0 picks a free one; default: 8000")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--data", metavar="FILE.csv",
                        help="a CSV file every page starts with (checked as glassnet train "
                             "checks it)")
    parser.add_argument("--target", metavar="COLUMN", help="the column of --data to predict")
    parser.set_defaults(handler=run)


@refuses_bad_input
def run(args: argparse.Namespace) -> int:
    from glassnet.playground import serve

    if (args.data is None) != (args.target is None):
        raise BadInput("--data and --target go together: give both, or neither.")
    serve(args.host, args.port, data=args.data, target=args.target,
          open_browser=not args.no_browser)
    return 0
