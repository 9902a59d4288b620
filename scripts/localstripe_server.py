"""localstripe, the Stripe emulator the tests pay against, bound to loopback only and keeping
its store in a folder of the caller's choosing (localstripe itself binds every interface and
writes a fixed file in the system temp folder).

    python scripts/localstripe_server.py PORT STORE_DIR
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from aiohttp import web
from localstripe import resources
from localstripe.server import app


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    store_file = folder / "localstripe.pickle"

    def load(store: resources.Store) -> None:
        """Every run starts with an empty store: nothing is read back."""

    def dump(store: resources.Store) -> None:
        store_file.write_bytes(pickle.dumps(dict(store), protocol=pickle.HIGHEST_PROTOCOL))

    resources.Store.try_load_from_disk = load  # type: ignore[method-assign]
    resources.Store.dump_to_disk = dump  # type: ignore[method-assign]
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
