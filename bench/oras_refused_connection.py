"""How long oras-py takes to give up on a registry that refuses the connection: the figure
the README's design notes give for oras 0.2.43 ("a refused connection took 131 s to fail").

    python -m venv /tmp/oras && /tmp/oras/bin/pip install oras==0.2.43
    /tmp/oras/bin/python bench/oras_refused_connection.py

Nothing listens on 127.0.0.1:9 (discard), so every connection is refused at once; the time
is oras's own retrying. tagguard's HTTP layer (bounded retries, a deadline for the whole run)
gives up on a refused connection in about 2 s (README, "Bearer auth" and what follows it).
"""

from __future__ import annotations

import time

import oras.client  # type: ignore[import-not-found]


def main() -> None:
    client = oras.client.OrasClient(hostname="127.0.0.1:9", insecure=True)
    started = time.perf_counter()
    try:
        client.get_tags("127.0.0.1:9/p/app")
    except Exception as error:  # whatever oras raises: the time is the point
        outcome = type(error).__name__
    else:
        outcome = "no error"
    print(
        f"oras {getattr(oras, '__version__', '?')}: {outcome} after {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
