"""Short leases, and a dead holder on this host seen at once (not when its lease ends)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from api.cli.ingest import ingest_config
from api.settings import Settings
from ingest import holders
from ingest.intake import Intake, utcnow
from ingest.worker import Worker
from registry import queue
from tests.ingest.conftest import steals_while_busy, submissions, submit, with_fields

PRINT_OWNER = "from ingest import holders; print(holders.owner_id(), flush=True); input()"


def other_process(tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A live process and its owner id."""
    proc = subprocess.Popen(
        [sys.executable, "-c", PRINT_OWNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().decode().strip()


def test_the_owner_id_names_host_pid_namespace_and_start():
    host, pid, token = holders.owner_id().rsplit(":", 2)
    assert (host, int(pid)) == (socket.gethostname(), os.getpid())
    namespace, start = token.split(".")
    assert namespace.isdigit() and start.isdigit()
    assert not holders.dead(holders.owner_id())


def test_a_holder_that_exited_or_was_killed_is_dead(tmp_path):
    proc, owner = other_process(tmp_path)
    assert not holders.dead(owner)
    proc.kill()
    deadline = time.monotonic() + 5
    while not holders.dead(owner):  # a zombie until reaped: dead already
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.communicate()
    assert holders.dead(owner)


def test_a_pid_used_again_by_another_process_is_a_dead_holder():
    host, pid, token = holders.owner_id().rsplit(":", 2)
    namespace, start = token.split(".")
    assert holders.dead(f"{host}:{pid}:{namespace}.{int(start) - 1}")


@pytest.mark.parametrize(
    "owner",
    [
        "elsewhere.example:1:4026531836.100",  # another host: cannot tell
        "{host}:999999:1.100",  # another pid namespace (a container sharing the name)
        "{host}:999999:-",  # no /proc where it ran
        "{host}:999999",  # an id of the older form
        "{host}:notapid:{ns}.1",
        "",
    ],
)
def test_holders_that_cannot_be_judged_are_never_called_dead(owner):
    ns = holders.owner_id().rsplit(":", 1)[1].split(".")[0]
    assert not holders.dead(owner.format(host=socket.gethostname(), ns=ns))


def claim_as(intake: Intake, owner: str, lease: float = 60) -> None:
    with intake.session_factory.begin() as session:
        assert queue.claim_next(session=session, worker_id=owner, lease_seconds=lease, now=utcnow())


def test_a_dead_holders_claim_is_taken_at_once_not_after_its_lease(config, intake, inbox, tmp_path):
    sid = submit(intake, inbox, 80)
    proc, owner = other_process(tmp_path)
    claim_as(intake, owner)  # a worker on this host claims for 60 s …
    alive = Worker(config, intake.session_factory, holders.owner_id())
    assert alive.claim() is None  # … and is alive: its lease holds
    os.kill(proc.pid, signal.SIGKILL)  # … then is killed -9
    proc.communicate()
    job = alive.claim()
    assert job is not None and job.submission_id == sid
    [sub] = submissions(intake.session_factory)
    assert (sub.status, sub.lease_owner, sub.attempts) == ("processing", alive.worker_id, 2)


def test_a_live_or_unknown_holders_claim_is_left_to_its_lease(config, intake, inbox):
    submit(intake, inbox, 81)
    submit(intake, inbox, 82)
    claim_as(intake, holders.owner_id())  # this very process: alive
    claim_as(intake, "elsewhere.example:4242:4026531836.1")  # another host
    worker = Worker(config, intake.session_factory, "w")
    assert worker.claim() is None
    with intake.session_factory.begin() as session:
        released = queue.release_dead_leases(session=session, dead=holders.dead, now=utcnow())
    assert released == []


def test_an_expired_lease_is_not_released_again(intake, inbox):
    submit(intake, inbox, 83)
    claim_as(intake, "gone:1:1.1", lease=0.01)
    time.sleep(0.05)
    with intake.session_factory.begin() as session:  # claim_next takes it anyway
        assert queue.release_dead_leases(session=session, dead=lambda o: True, now=utcnow()) == []


def test_the_heartbeat_renews_a_short_lease_every_beat(config, intake, inbox, monkeypatch):
    monkeypatch.setenv("FAKE_OCR_DELAY", "2.0")
    beat = with_fields(config, lease_seconds=3.0, heartbeat_seconds=0.5)
    submit(intake, inbox, 84)
    worker = Worker(beat, intake.session_factory, "beating")
    reading = threading.Thread(
        target=worker.run, args=(threading.Event(),), kwargs={"until_idle": True}
    )
    reading.start()
    seen: set[dt.datetime] = set()
    while reading.is_alive():
        sub = submissions(intake.session_factory)[0]
        if sub.lease_expires_at is not None:
            seen.add(sub.lease_expires_at)
        time.sleep(0.1)
    reading.join()
    assert len(seen) >= 3  # renewed about every 0.5 s during a 2 s read
    assert submissions(intake.session_factory)[0].status == "proposed"


def test_leases_are_short_and_renewed_by_default():
    config = ingest_config(Settings(_env_file=None), workers=1)  # type: ignore[call-arg]
    assert (config.lease_seconds, config.heartbeat_seconds) == (30.0, 10.0)
    assert config.worker_config.heartbeat_seconds == 10.0
    assert config.incomplete_grace_seconds == 60.0


def test_a_heartbeat_that_meets_a_database_error_beats_again(config, intake, inbox, monkeypatch):
    from sqlalchemy.exc import OperationalError

    # the read outlasts the lease; the beats keep it, with room for a loaded machine
    # (a 0.9 s lease was lost to one late beat on a busy CI machine)
    monkeypatch.setenv("FAKE_OCR_DELAY", "3.5")
    real, beats = queue.extend_lease, []

    def flaky(**kwargs: object) -> object:
        beats.append(kwargs["now"])
        if len(beats) == 1:
            raise OperationalError("UPDATE submission", {}, Exception("connection lost"))
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(queue, "extend_lease", flaky)
    short = with_fields(config, lease_seconds=2.4, heartbeat_seconds=0.3)
    sid = submit(intake, inbox, 85)
    slow, thief = (
        Worker(short, intake.session_factory, "slow"),
        Worker(short, intake.session_factory, "thief"),
    )
    stolen = steals_while_busy(slow, thief, intake.session_factory)
    assert len(beats) >= 3 and stolen == 0  # the failed beat was followed by others
    [sub] = submissions(intake.session_factory)
    assert (sub.id, sub.status, sub.attempts) == (sid, "proposed", 1)
