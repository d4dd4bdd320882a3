"""`quancheng simulate`: a realistic Jinan device fleet sending telemetry to a running platform."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import httpx

from quancheng.operations.simulator import Simulator, build_fleet


def _platform_token(accounts: Path) -> str:
    """The platform administrator's token from a demo accounts file (demo-accounts.json)."""
    try:
        rows = json.loads(accounts.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read {accounts}: {exc}") from exc
    for row in rows:
        if row.get("role") == "platform_admin" and row.get("token"):
            return str(row["token"])
    raise click.ClickException(f"{accounts} has no platform administrator with a token")


def _wait_until_ready(url: str, accounts: Path | None, seconds: float) -> None:
    """Poll the platform's /healthz (and the accounts file) until ready or out of time."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            ready = httpx.get(url.rstrip("/") + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            ready = False
        if ready and (accounts is None or accounts.exists()):
            return
        if time.monotonic() >= deadline:
            raise click.ClickException(f"{url} was not ready within {seconds:g} s")
        time.sleep(1)


def _owners(pairs: tuple[str, ...]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise click.BadParameter(f"{pair!r} is not KEY=KEY", param_hint="--owner")
        owners[key] = value
    return owners


@click.command()
@click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    envvar="QC_SIMULATOR_URL",
    help="Base URL of the platform (entities are created through its NGSI-LD API).",
)
@click.option(
    "--token",
    default="",
    envvar="QC_SIMULATOR_TOKEN",
    help="API token with data:write for the devices' departments (or the platform's).",
)
@click.option(
    "--accounts",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Take the platform administrator's token from this demo accounts file.",
)
@click.option(
    "--wait",
    default=0.0,
    type=click.FloatRange(0),
    help="Wait up to this many seconds for the platform (and the accounts file) to be ready.",
)
@click.option(
    "--owner",
    "owner_pairs",
    multiple=True,
    metavar="KEY=KEY",
    help="Own the devices of a demo department (cgj, sthjj, jtysj, swj) by another one.",
)
@click.option("--lamps", default=2000, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--air-stations", default=15, show_default=True, type=click.IntRange(0, 10_000))
@click.option("--traffic-counters", default=30, show_default=True, type=click.IntRange(0, 10_000))
@click.option("--springs", default=8, show_default=True, type=click.IntRange(0, 1000))
@click.option(
    "--rate",
    default=200.0,
    show_default=True,
    type=click.FloatRange(0.1, 1_000_000),
    help="Messages (one device's readings) per second.",
)
@click.option(
    "--mqtt",
    "mqtt_url",
    default="",
    help="Send readings to this MQTT broker (mqtt://host:1883) instead of HTTP batches.",
)
@click.option(
    "--duration",
    default=None,
    type=click.FloatRange(0),
    help="Stop after this many seconds (default: run until interrupted).",
)
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same fleet.")
@click.option("--no-create", is_flag=True, help="The entities exist already: only send readings.")
def simulate(
    url: str,
    token: str,
    accounts: Path | None,
    owner_pairs: tuple[str, ...],
    wait: float,
    lamps: int,
    air_stations: int,
    traffic_counters: int,
    springs: int,
    rate: float,
    mqtt_url: str,
    duration: float | None,
    batch: int,
    seed: int,
    no_create: bool,
) -> None:
    """Run a simulated Jinan fleet: lamps, cabinets, air stations, traffic counters, springs."""
    if wait:
        _wait_until_ready(url, accounts, wait)
    if accounts is not None and not token:
        token = _platform_token(accounts)
    fleet = build_fleet(
        lamps=lamps,
        air_stations=air_stations,
        traffic_counters=traffic_counters,
        springs=springs,
        seed=seed,
    )
    sim = Simulator(
        fleet,
        url=url,
        token=token,
        rate=rate,
        batch_size=batch,
        mqtt_url=mqtt_url,
        seed=seed,
        owners=_owners(owner_pairs),
    )
    try:
        if not no_create:
            created = sim.create_entities()
            click.echo(f"{created} of {len(fleet.all())} entities upserted at {url}", err=True)
            if created == 0 and sim.stats.errors:
                reason = sim.stats.last_error
                raise click.ClickException(f"the platform refused the entities: {reason}")
        via = mqtt_url or url
        click.echo(f"sending {rate:g} messages/s to {via} (Ctrl-C stops)", err=True)
        sim.run(duration=duration)
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
        s = sim.stats
        click.echo(
            f"sent {s.messages} messages in {s.batches} batches; {s.errors} errors"
            + (f" (last: {s.last_error})" if s.errors else ""),
            err=True,
        )
