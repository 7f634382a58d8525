"""``export`` (live apps -> a desired-state file), ``diff`` (offline review) and ``emulator``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from reconciler.cli import output
from reconciler.cli.options import (
    FORMATS,
    api,
    guarded,
    guarded_offline,
    guarded_server,
    rate_limit_option,
    stdout,
    use_color,
    zone_name,
)
from reconciler.desired.zonenames import zone_name_problem
from reconciler.errors import EXIT_CHANGES, EXIT_OK, ReconcilerError
from reconciler.files import write_atomically
from reconciler.live.connect import Connection, open_client
from reconciler.live.ratelimit import RateLimit
from reconciler.model import ZoneSpec
from reconciler.wording import count

if TYPE_CHECKING:
    from reconciler.emulator import StateFileError


@click.command()
@click.option(
    "--zone", "zone", required=True, callback=zone_name, help="The zone (domain name) to export."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option(
    "--schema-ref",
    metavar="URL|PATH",
    help="Written as the file's $schema modeline (default: a schemas/desired-state.schema.json"
    " found beside --out or above it, else none).",
)
@api
@guarded
def export(
    zone: str,
    out: str | None,
    schema_ref: str | None,
    connection: Connection,
) -> int:
    """Write a zone's live apps as a desired-state file that plans to nothing.

    Example: spectrum-reconciler export --zone example.com --out apps/example.com.yaml
    """
    from reconciler.interop.export import export_document

    spec = ZoneSpec(name=zone, zone_id=None)
    with open_client(connection, [spec]) as client:
        (live,) = client.fetch_live([spec])
    text = export_document(live, out_path=out, schema_ref=schema_ref)
    if out:
        write_atomically(out, text)
        click.echo(f"exported {count(len(live.apps), 'app')} of {live.name} to {out}", err=True)
    else:
        stdout().write(text)
    return EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--from-ref", help="Compare PATHS at this git revision with the working tree.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--redact-origins", is_flag=True, help="Show origins as short stable hashes.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the config changes.")
@guarded_offline
def diff(
    paths: Sequence[str],
    from_ref: str | None,
    fmt: str,
    redact_origins: bool,
    detailed_exitcode: bool,
) -> int:
    """Offline review: what a config change does, with no network and no token.

    \b
    Examples:
      spectrum-reconciler diff old-config/ new-config/
      spectrum-reconciler diff --from-ref origin/main config/
    """
    from reconciler.interop.review import kept_by_prune, review_paths, review_ref

    if from_ref:
        the_plan = review_ref(from_ref, paths)
    else:
        if len(paths) != 2:
            raise click.UsageError("give OLD and NEW paths, or --from-ref REV with PATHS")
        the_plan = review_paths(paths[0], paths[1])
    stream = stdout()
    output.show_plan(the_plan, fmt, stream, color=use_color(stream), redact=redact_origins)
    changed = the_plan.has_changes or kept_by_prune(the_plan) > 0  # management changed too
    return EXIT_CHANGES if detailed_exitcode and changed else EXIT_OK


def zone_seeds(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """Each emulator ``--zone NAME[,plan=...]``: a zone name the files would accept, and options
    the emulator knows; else a usage error naming the value."""
    from reconciler.emulator import parse_zone_spec

    for value in values:
        try:
            seed = parse_zone_spec(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
        problem = zone_name_problem(seed.name)
        if problem:
            raise click.BadParameter(problem)
    return values


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=8787,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port to listen on; 0 picks a free one.",
)
@click.option(
    "--zone",
    "zones",
    multiple=True,
    callback=zone_seeds,
    help="Create an active zone: NAME[,plan=free|pro|business|enterprise] (repeatable).",
)
@click.option(
    "--byoip-prefix",
    "prefixes",
    multiple=True,
    help="Onboard a BYOIP prefix: CIDR[,service=spectrum|cdn|magic_transit|none]"
    "[,advertised=yes|no][,approved=yes|no][,binding=active|provisioning] (repeatable).",
)
@click.option(
    "--leased-prefix",
    "leased",
    multiple=True,
    help="Static IP space Cloudflare leases to the account (repeatable).",
)
@click.option(
    "--binding-provisioning-s",
    default=0.0,
    type=click.FloatRange(min=0),
    show_default=True,
    help="Seconds a service binding made through the API stays provisioning.",
)
@click.option(
    "--dns-record",
    "dns_records",
    multiple=True,
    help="A manually created DNS record: NAME,type=A|AAAA|CNAME,content=VALUE"
    "[,proxied=yes|no] (repeatable).",
)
@click.option(
    "--ipv4-hostname-quota",
    default=10,
    type=click.IntRange(min=0),
    show_default=True,
    help="Unique Spectrum hostnames on Cloudflare IPv4 per account (12005 past it).",
)
@click.option(
    "--traffic",
    multiple=True,
    help="Seeded traffic: HOSTNAME[:PROTOCOL]=CONNECTIONS_PER_MINUTE (repeatable).",
)
@click.option(
    "--analytics-forbidden",
    is_flag=True,
    help="Answer Spectrum analytics with 403, as for a token without Analytics Read.",
)
@click.option("--state", type=click.Path(dir_okay=False), help="Persist state in this file.")
@click.option("--token", help="Accept only this token (default: any non-empty token).")
@click.option(
    "--latency-ms",
    default=0.0,
    type=click.FloatRange(min=0),
    show_default=True,
    help="Delay every API answer by this many milliseconds.",
)
@click.option(
    "--fault-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    show_default=True,
    help="Share of API requests that meet a fault: 5xx, 429, dropped connection or lost response.",
)
@click.option(
    "--seed",
    default=0,
    type=int,
    show_default=True,
    help="Seed for the faults: the same seed and requests meet the same faults.",
)
@rate_limit_option
@guarded_server
def emulator(
    host: str,
    port: int,
    zones: Sequence[str],
    prefixes: Sequence[str],
    leased: Sequence[str],
    binding_provisioning_s: float,
    dns_records: Sequence[str],
    ipv4_hostname_quota: int,
    traffic: Sequence[str],
    analytics_forbidden: bool,
    state: str | None,
    token: str | None,
    latency_ms: float,
    fault_rate: float,
    seed: int,
    rate_limit: RateLimit,
) -> int:
    """Serve the Spectrum API emulator over HTTP until stopped.

    Example: spectrum-reconciler emulator --zone example.com --byoip-prefix 198.51.100.0/24
    """
    from reconciler.emulator import (
        StateFileError,
        StateLocked,
        check_address_flags,
        check_record_flags,
        run_from_cli,
    )

    try:
        check_address_flags(prefixes, leased)
        check_record_flags(dns_records)
    except ValueError as error:
        raise ReconcilerError(str(error)) from None
    try:
        run_from_cli(
            host=host,
            port=port,
            zones=tuple(zones),
            byoip_prefixes=tuple(prefixes),
            leased_prefixes=tuple(leased),
            binding_provisioning_s=binding_provisioning_s,
            state=state,
            token=token,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            seed=seed,
            rate_limit=(rate_limit.requests, rate_limit.seconds),
            dns_records=tuple(dns_records),
            ipv4_hostname_quota=ipv4_hostname_quota,
            traffic=tuple(traffic),
            analytics_forbidden=analytics_forbidden,
        )
    except StateLocked as error:  # another emulator or --sandbox run has the file
        raise ReconcilerError(str(error)) from None
    except StateFileError as error:
        raise ReconcilerError(_state_file_problem(error)) from None
    except ValueError as error:  # a --dns-record whose name no --zone holds, a bad --traffic
        raise ReconcilerError(str(error)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ReconcilerError(
            f"cannot listen on {host}:{port}: {reason} — stop whatever uses that port, or pass"
            " --port N (0 picks a free one)"
        ) from None
    return EXIT_OK


def _state_file_problem(error: StateFileError) -> str:
    if error.writing:
        return (
            f"--state {error.path}: {error.reason} — pass a --state path in a directory that"
            " exists and is writable"
        )
    return (
        f"--state {error.path}: {error.reason} — pass another --state file, or delete this"
        " one to start with an empty emulator"
    )
