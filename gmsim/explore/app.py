"""The explore page as a Dash app, served on this machine only unless asked otherwise.

Dash (``pip install "gmsim[explore]"``) serves its scripts itself, so the page
works without a network; the app serves no folder of files, runs no debugger
and reads files only where the command line names them.

Examples
--------
Inside Jupyter (Dash draws the page in the notebook)::

    from gmsim.explore import make_app
    make_app().run(jupyter_mode="inline")
"""

from __future__ import annotations

import ipaddress
import os
import sys
import threading
import webbrowser
from collections.abc import Iterable
from typing import Any

from gmsim.errors import GmsimError
from gmsim.explore.session import Session

__all__ = ["LOOPBACK", "explore", "make_app", "serve"]

LOOPBACK = "127.0.0.1"
"""Where the page is served unless ``host`` says otherwise: this machine only."""


def _dash():
    try:
        import dash
    except ImportError:
        raise GmsimError(
            '`gmsim explore` needs Dash: install it with pip install "gmsim[explore]" '
            "(or pip install dash)"
        ) from None
    return dash


def make_app(
    session: Session | None = None,
    *,
    model: Any = None,
    scenarios: Iterable[Any] = (),
    data: Any = None,
):
    """The Dash app exploring ``session`` (or a new session of ``model``, ``scenarios``, ``data``)."""
    dash = _dash()
    from gmsim.explore.callbacks import register
    from gmsim.explore.layout import CSS, layout

    session = session or Session(model, scenarios=scenarios, data=data)
    app = dash.Dash(
        __name__,
        title=f"gmsim explore | {session.model.name}",
        update_title=None,
        serve_locally=True,
        include_assets_files=False,
        assets_ignore=".*",
        assets_folder=os.path.join(os.path.dirname(__file__), "_no_assets"),
    )
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + CSS + "</style>")
    app.layout = layout(session)
    register(app, session)
    app.session = session  # for notebooks and tests
    return app


def _check_host(host: str) -> bool:
    """Whether ``host`` is a loopback address (a warning is printed for any other)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(app, host: str = LOOPBACK, port: int = 8050):
    """A running server of ``app`` in a background thread; ``.shutdown()`` stops it, ``.port`` is its port."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    try:
        server = make_server(host, port, app.server, threaded=True)
    except OSError as exc:
        raise GmsimError(
            f"cannot serve on {host}:{port} ({exc.strerror or exc}); choose another `--port` (0: any free one)"
        ) from None
    thread = threading.Thread(target=server.serve_forever, name="gmsim-explore", daemon=True)
    thread.start()
    server.thread = thread
    return server


def explore(
    model: Any = None,
    *,
    scenarios: Iterable[Any] = (),
    data: Any = None,
    host: str = LOOPBACK,
    port: int = 8050,
    open_browser: bool = True,
    block: bool = True,
):
    """Serve the explore page of ``model`` at ``http://host:port/`` and open it in the browser.

    ``block=False`` returns the running server (stop it with ``.shutdown()``).
    """
    app = make_app(model=model, scenarios=scenarios, data=data)
    server = serve(app, host, port)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{server.port}/"
    print(f"gmsim explore: {app.session.model.name} at {url} (Ctrl+C stops it)")
    if not _check_host(host):
        print(
            f"gmsim explore: warning: served on {host}, not only on this machine: anyone who can reach "
            f"it on port {server.port} can use the page",
            file=sys.stderr,
        )
    if open_browser:
        webbrowser.open(url)
    if not block:
        return server
    try:
        server.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return None
