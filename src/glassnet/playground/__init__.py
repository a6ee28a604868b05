"""The playground: watch a network learn in the browser, every weight explaining its gradient.

``glassnet playground`` (or ``serve()``) starts a local web server whose page trains a small
network on the tutorial's people, drawn 2-D problems or your CSV table, draws the decision
boundary and every neuron's output, and explains any weight's gradient with ``gn.explain`` on the
batch the next step will use. Everything the page shows is computed by glassnet here; the page
only draws it. Its files ship in the package (no CDN); it answers only its own address.
"""

from __future__ import annotations

__all__ = ["serve"]


def serve(host: str = "127.0.0.1", port: int = 8000, data: str | None = None,
          target: str | None = None, open_browser: bool = True) -> None:
    """Serve the playground at http://host:port/ until Ctrl-C (KeyboardInterrupt), then close.

    Parameters
    ----------
    host : the address to bind; the default, 127.0.0.1, is reachable from this computer only.
    port : the TCP port; 0 picks a free one.
    data, target : a CSV file and its target column: every page starts with that table (read
        and checked as ``glassnet train`` does, before serving: DataError and its kin when the
        file is refused).
    open_browser : open the page in the default web browser.

    Prints one line, ``Playground at http://HOST:PORT/``, once it accepts connections.

    Example (in a terminal: ``glassnet playground --port 8000``):
    >>> import glassnet.playground
    >>> glassnet.playground.serve(port=0, open_browser=False)  # doctest: +SKIP
    Playground at http://127.0.0.1:43617/
    """
    from glassnet.playground.server import make_server

    server = make_server(host, port, data, target)
    url = f"http://{host}:{server.server_address[1]}/"
    try:  # from the printed line on, Ctrl-C is how it is stopped: a clean exit
        print(f"Playground at {url}", flush=True)
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how it is stopped
    finally:
        server.server_close()
