"""I/O: ``--probe``'s TCP connect from the runner to an app's edge IP and port.

In: ``ProbeTarget``s (host, port). Out: per target None (it connected) or one line saying why
not (refused, timed out, unresolvable). Connects run a few at a time, each within ``timeout``
(3 s): a closed port answers at once, a blackholed one costs the timeout.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from reconciler.checks.verify import ProbeTarget

PROBE_TIMEOUT = 3.0
_AT_ONCE = 16


def connect(target: ProbeTarget, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when a TCP connection to the target opened (it is closed at once), else why not."""
    try:
        with socket.create_connection((target.host, target.port), timeout=timeout):
            return None
    except TimeoutError:
        return f"timed out after {timeout:g} s"
    except socket.gaierror as error:
        return f"cannot resolve {target.host} ({error.strerror})"
    except OSError as error:
        return error.strerror or type(error).__name__


def probe_all(
    targets: Iterable[ProbeTarget], timeout: float = PROBE_TIMEOUT
) -> dict[ProbeTarget, str | None]:
    """Every distinct target's result (a few connects at a time)."""
    unique = sorted(set(targets), key=lambda t: (t.host, t.port))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=min(_AT_ONCE, len(unique))) as pool:
        results = pool.map(lambda t: connect(t, timeout), unique)
        return dict(zip(unique, results, strict=True))
