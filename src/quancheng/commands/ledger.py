"""`quancheng ledger …` and `quancheng witness`: verify, prove, checkpoint, co-sign the ledger."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from quancheng.cli import data_dir_option, fail_on_platform_errors, load_settings, services_for
from quancheng.ledger.keys import (
    KeyAlgorithm,
    KeyFormatError,
    SigningKey,
    VerifierKey,
    read_signing_key,
    write_signing_key,
)
from quancheng.ledger.witness import (
    HttpTransport,
    HttpWitness,
    WitnessError,
    check_bundle,
    make_bundle,
    push_checkpoint,
    run_witness,
    verify_remote,
)

# A witness key's type is chosen when it is made; the key file records it from then on.
WITNESS_KEY_TYPES = (KeyAlgorithm.COSIGNATURE_V1, KeyAlgorithm.ED25519)


def _verifier_key(text: str) -> VerifierKey:
    """A verifier key given inline or as a file holding one."""
    path = Path(text)
    try:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
        return VerifierKey.parse(text.strip())
    except (KeyFormatError, OSError) as exc:
        raise click.ClickException(f"not a verifier key: {exc}") from exc


@click.group()
def ledger() -> None:
    """The verifiable ledger: verify, prove, issue checkpoints, register witnesses."""


_WITNESS_OPTION = click.option(
    "--witness",
    "witness_keys",
    multiple=True,
    metavar="KEY",
    help="A witness whose cosignature the checkpoint must carry (verifier key, text or file; "
    "cosignature/v1 or ed25519). Repeat for several.",
)


@ledger.command("verify")
@data_dir_option
@click.option("--url", default=None, help="Verify a running city over its API instead.")
@click.option("--key", "key_text", default=None, help="Expected log key (text or file).")
@_WITNESS_OPTION
def verify(
    data_dir: Path, url: str | None, key_text: str | None, witness_keys: tuple[str, ...]
) -> None:
    """Recompute the tree from the stored leaves; check every node and checkpoint."""
    expected = _verifier_key(key_text) if key_text else None
    witnesses = [_verifier_key(w) for w in witness_keys]
    if witnesses and not url:
        raise click.UsageError("--witness checks the checkpoint a city serves: give --url")
    if url:
        transport = HttpTransport(url)
        try:
            problems = verify_remote(transport, key=expected, witnesses=witnesses)
        except WitnessError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            transport.close()
        if problems:
            for p in problems:
                click.echo(f"FAIL: {p}", err=True)
            sys.exit(1)
        click.echo(f"OK: {url} serves a log consistent with its signed checkpoint.")
        return
    services = services_for(load_settings(data_dir))
    try:
        if expected is not None and expected.encode() != services.ledger.verifier().encode():
            raise click.ClickException("the data dir's log key is not the expected key")
        report = services.ledger.verify()
    finally:
        services.close()
    if not report.ok:
        for p in report.problems:
            click.echo(f"FAIL: {p}", err=True)
        sys.exit(1)
    click.echo(
        f"OK: {report.size} leaves, {report.nodes_checked} nodes, "
        f"{report.checkpoints_checked} checkpoints verified."
    )


@ledger.command("prove")
@data_dir_option
# Bounded by the database's integer: a larger index was an OverflowError traceback.
@click.argument("index", type=click.IntRange(0, 2**63 - 1))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the bundle here (default: standard output).",
)
@fail_on_platform_errors
def prove(data_dir: Path, index: int, out: Path | None) -> None:
    """Write a proof bundle for entry INDEX: event, inclusion proof, signed checkpoint."""
    services = services_for(load_settings(data_dir))
    try:
        lg = services.ledger
        record = lg.entry(index)
        checkpoint = lg.latest_checkpoint()
        if checkpoint.size <= index:
            checkpoint = lg.issue_checkpoint()
        hashes = lg.inclusion_proof(index, checkpoint.size)
    finally:
        services.close()
    bundle = make_bundle(
        index=index,
        event=record.event,
        size=checkpoint.size,
        hashes=hashes,
        checkpoint=checkpoint.note,
    )
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Proof of entry {index} in size {checkpoint.size} written to {out}.", err=True)


@ledger.command("check-bundle")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_text", required=True, help="The log's verifier key (text or file).")
@_WITNESS_OPTION
def check_bundle_cmd(
    data_dir: Path, file: Path, key_text: str, witness_keys: tuple[str, ...]
) -> None:
    """Check a proof bundle offline against the log's key (the data dir is not read)."""
    key = _verifier_key(key_text)
    witnesses = [_verifier_key(w) for w in witness_keys]
    try:
        bundle = json.loads(file.read_text(encoding="utf-8"))
        checkpoint = check_bundle(bundle, key, witnesses=witnesses)
    except (ValueError, WitnessError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        click.echo(f"FAIL: {exc}", err=True)
        sys.exit(1)
    cosigned = f", co-signed by {', '.join(w.name for w in witnesses)}" if witnesses else ""
    click.echo(
        f"OK: entry {bundle['index']} ({bundle['event'].get('type')}) is in "
        f"{checkpoint.origin} at size {checkpoint.size}{cosigned}."
    )


@ledger.command("checkpoint")
@data_dir_option
@fail_on_platform_errors
def checkpoint_cmd(data_dir: Path) -> None:
    """Sign a checkpoint of the current tree now and print it."""
    services = services_for(load_settings(data_dir))
    try:
        issued = services.ledger.issue_checkpoint()
    finally:
        services.close()
    click.echo(issued.note, nl=False)


@ledger.group("witness-key")
def witness_key() -> None:
    """Witness keys whose cosignatures the city accepts."""


@witness_key.command("add")
@data_dir_option
@click.argument("name")
@click.argument("key")
@fail_on_platform_errors
def witness_key_add(data_dir: Path, name: str, key: str) -> None:
    """Register witness NAME with its verifier KEY (name+hexid+base64)."""
    services = services_for(load_settings(data_dir))
    try:
        services.ledger.add_witness_key(name, key)
    finally:
        services.close()
    click.echo(f"Witness {name} registered.")


@witness_key.command("remove")
@data_dir_option
@click.argument("name")
@fail_on_platform_errors
def witness_key_remove(data_dir: Path, name: str) -> None:
    """Retire witness NAME's key (a lost or replaced key): its new cosignatures are refused."""
    services = services_for(load_settings(data_dir))
    try:
        services.ledger.remove_witness_key(name)
    finally:
        services.close()
    click.echo(f"Witness {name} removed; the cosignatures it made stay on their checkpoints.")


@ledger.command("witness-push")
@data_dir_option
@click.argument("url")
@click.option("--name", required=True, help="The witness's registered key name.")
@fail_on_platform_errors
def witness_push(data_dir: Path, url: str, name: str) -> None:
    """Ask the C2SP tlog-witness at URL (its submission prefix) to co-sign the latest checkpoint."""
    services = services_for(load_settings(data_dir))
    endpoint = HttpWitness(url)
    try:
        result = push_checkpoint(services.ledger, endpoint, name=name)
    except WitnessError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        endpoint.close()
        services.close()
    click.echo(
        f"Checkpoint of size {result.size} co-signed by {', '.join(result.witnesses)} "
        f"(the witness had co-signed size {result.old_size})."
    )


@witness_key.command("list")
@data_dir_option
def witness_key_list(data_dir: Path) -> None:
    """List the registered witness keys."""
    services = services_for(load_settings(data_dir))
    try:
        for key in services.ledger.witness_keys():
            click.echo(key.encode())
    finally:
        services.close()


@click.command()
@click.option("--url", required=True, help="Base URL of the city, e.g. https://data.example.")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The witness's private key file (0600).",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("witness-state.json"),
    show_default=True,
    help="Where the witness remembers the last checkpoint it co-signed.",
)
@click.option("--log-key", default=None, help="Pin the log's verifier key (text or file).")
@click.option(
    "--new-key",
    "new_key",
    default=None,
    metavar="NAME",
    help="Create the key file for witness NAME, print its verifier key and exit.",
)
@click.option(
    "--key-type",
    type=click.Choice([a.value for a in WITNESS_KEY_TYPES]),
    default=KeyAlgorithm.COSIGNATURE_V1.value,
    show_default=True,
    help="With --new-key: cosignature/v1 (C2SP tlog-cosignature, what standard verifiers "
    "check) or ed25519 (a plain signed-note signature, as witnesses signed before).",
)
def witness(
    url: str,
    key_file: Path,
    state_file: Path,
    log_key: str | None,
    new_key: str | None,
    key_type: str,
) -> None:
    """Co-sign a city's latest checkpoint if it is consistent with the last one seen."""
    if new_key:
        try:
            created = SigningKey.generate(new_key, KeyAlgorithm(key_type))
            write_signing_key(key_file, created)
        except (KeyFormatError, OSError) as exc:
            raise click.ClickException(f"cannot create {key_file}: {exc}") from exc
        click.echo(created.verifier.encode())
        return
    try:
        key = read_signing_key(key_file)
    except (KeyFormatError, OSError) as exc:
        raise click.ClickException(f"cannot use the witness key {key_file}: {exc}") from exc
    pinned = _verifier_key(log_key) if log_key else None
    transport = HttpTransport(url)
    try:
        result = run_witness(transport, key, state_file, log_key=pinned)
    except (WitnessError, KeyFormatError) as exc:
        click.echo(f"WITNESS ALARM: {exc}", err=True)
        sys.exit(2)
    finally:
        transport.close()
    before = "first" if result.previous_size is None else f"after size {result.previous_size}"
    click.echo(f"Co-signed the checkpoint of size {result.size} ({before}) as {key.name}.")
