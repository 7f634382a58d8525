"""Shell: read the live zones while the desired state is still being validated.

In: the command's ``Connection``; the parsed documents (``load_configuration``'s ``on_parsed``),
then the validated ``DesiredState``. Out: a client for that state and, when the zones read early
are the zones it declares, their live apps — else nothing read early is used.

Zone names are known once the files are parsed, long before every app is checked; reading then
makes a whole ``plan`` cost about max(validate, network) + plan rather than their sum. What the
reads see and send is what ``fetch_live`` after validation would: the same client, zones and
requests. What the files say wins over anything the network says: a ConfigError is raised as
before (the early reads are cancelled, their result or error dropped); a failed early read is
raised where the read would have been. A guess that does not match the validated zones (files
that tie a zone id to a name, token variables) is dropped and the zones are read again after
validation. Ctrl-C cancels the reads (``Accounts.cancel``) as ``fetch_live`` does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from reconciler.desired.document import Document
from reconciler.desired.rules.entries import normal_zone_name
from reconciler.model import DesiredState, LiveZone, ZoneSpec

if TYPE_CHECKING:
    from reconciler.live.accounts import Accounts
    from reconciler.live.connect import Connection

_Fetch = tuple[str | None, str | None, str | None]  # name, zone id, token variable
Opener = Callable[["Connection", Sequence[ZoneSpec]], "Accounts"]


def named_zones(documents: Sequence[Document]) -> tuple[ZoneSpec, ...]:
    """The zones parsed files name at their top level (``zone``, ``zone_id``, ``token_env``),
    one spec per distinct declaration: a guess, before validation, of what to read."""
    seen: dict[_Fetch, ZoneSpec] = {}
    for doc in documents:
        name, zone_id, token = (doc.data.get(k) for k in ("zone", "zone_id", "token_env"))
        if not isinstance(zone_id, str):
            zone_id = None
        spec = ZoneSpec(
            normal_zone_name(name), zone_id, token_env=token if isinstance(token, str) else None
        )
        if spec.name or spec.zone_id:
            seen.setdefault(_fetched(spec), spec)
    return tuple(seen.values())


def _fetched(spec: ZoneSpec) -> _Fetch:
    return (spec.name, spec.zone_id, spec.token_env)


class EarlyReads:
    """One command's early reads: started by ``start`` (an ``on_parsed`` hook), taken by
    ``client_for`` once the desired state is valid; ``close`` cancels what was not taken."""

    def __init__(self, connection: Connection, opener: Opener) -> None:
        self._connection = connection
        self._open = opener
        self._zones: tuple[ZoneSpec, ...] = ()
        self._client: Accounts | None = None
        self._thread: threading.Thread | None = None
        self._live: tuple[LiveZone, ...] = ()
        self._error: BaseException | None = None

    def start(self, documents: Sequence[Document]) -> None:
        """Open the client for the zones ``documents`` name and start reading them."""
        zones = named_zones(documents)
        if not zones or self._connection.sandbox:  # the sandbox reads in-process: no wait
            return
        try:
            client = self._open(self._connection, zones)
        except Exception:  # a token problem: said after validation, in the usual order
            return
        self._zones, self._client = zones, client
        self._thread = threading.Thread(target=self._read, name="early-reads", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._client is not None
        try:
            self._live = self._client.fetch_live(self._zones)
        except BaseException as error:  # raised in the command's thread, if it is wanted
            self._error = error

    @contextmanager
    def client_for(
        self, desired: DesiredState
    ) -> Iterator[tuple[Accounts, Sequence[LiveZone] | None]]:
        """A client for ``desired`` and its zones' live apps when the early reads covered
        exactly its zones (else None: the caller reads them)."""
        with ExitStack() as stack:
            client, fits = self._client, self._fits(desired)
            if client is None or not fits:
                self.close()
                yield stack.enter_context(self._open(self._connection, desired.zones)), None
                return
            self._client = None  # taken: the caller's ``with`` closes it
            stack.enter_context(client)
            yield client, self._wait(client)

    def _fits(self, desired: DesiredState) -> bool:
        return {_fetched(z) for z in desired.zones} == {_fetched(z) for z in self._zones}

    def _wait(self, client: Accounts) -> Sequence[LiveZone]:
        assert self._thread is not None
        try:
            self._thread.join()
        except BaseException:  # Ctrl-C while the reads are in flight
            client.cancel()
            raise
        if self._error is not None:
            raise self._error
        return self._live

    def close(self) -> None:
        """Cancel the reads not taken (the files did not validate, or named other zones)."""
        client, self._client = self._client, None
        if client is not None:
            client.cancel()
            if self._thread is not None:
                self._thread.join(timeout=5)  # cancelled reads end at their next request
            client.close()


@contextmanager
def early_reads(connection: Connection, opener: Opener) -> Iterator[EarlyReads]:
    """Early reads for one command, whose readers ``opener`` opens (``live.accounts.Accounts``:
    one client per token, passed in by the command); whatever is not taken is cancelled on the
    way out."""
    reads = EarlyReads(connection, opener)
    try:
        yield reads
    finally:
        reads.close()
