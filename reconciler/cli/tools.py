"""``diff`` (offline review) and ``emulator`` (the API emulator over HTTP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from reconciler.cli import output
from reconciler.cli.options import (
    format_option,
    guarded_offline,
    guarded_server,
    rate_limit_option,
    stdout,
    use_color,
)
from reconciler.desired.zonenames import zone_name_problem
from reconciler.errors import EXIT_CHANGES, EXIT_OK, ReconcilerError
from reconciler.live.ratelimit import RateLimit

if TYPE_CHECKING:
    from reconciler.emulator import StateFileError


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--from-ref", help="Compare PATHS at this git revision with the working tree.")
@format_option()
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
    help="Create an active zone: NAME[,plan=free|pro|business|enterprise][,account=ID]"
    " (repeatable; default account: the emulator's one).",
)
@click.option(
    "--byoip-prefix",
    "prefixes",
    multiple=True,
    help="Onboard a BYOIP prefix: CIDR[,service=spectrum|cdn|magic_transit|none]"
    "[,advertised=yes|no][,approved=yes|no][,binding=active|provisioning|route_missing]"
    "[,on_demand=yes|no][,account=ID] (repeatable).",
)
@click.option(
    "--leased-prefix",
    "leased",
    multiple=True,
    help="Static IP space Cloudflare leases to an account, shown in an address map it cannot"
    " edit: CIDR[,account=ID] (repeatable).",
)
@click.option(
    "--delegation",
    "delegations",
    multiple=True,
    help="Lend a CIDR of another account's --byoip-prefix to an account, which may then use"
    " it as static edge IPs: CIDR,to=ID (repeatable).",
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
    "--origin-dns-policy",
    type=click.Choice(["any", "account"]),
    default="any",
    show_default=True,
    help="account: refuse an origin_dns name outside the account's zones (11050).",
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
    delegations: Sequence[str],
    binding_provisioning_s: float,
    dns_records: Sequence[str],
    ipv4_hostname_quota: int,
    origin_dns_policy: str,
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
        check_address_flags(prefixes, leased, delegations)
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
            delegations=tuple(delegations),
            binding_provisioning_s=binding_provisioning_s,
            state=state,
            token=token,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            seed=seed,
            rate_limit=(rate_limit.requests, rate_limit.seconds),
            dns_records=tuple(dns_records),
            ipv4_hostname_quota=ipv4_hostname_quota,
            origin_dns_policy=origin_dns_policy,
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
