"""``SIGNREG_SECOND_READ`` reaches the engine through the worker: a form whose
organisation number is written by hand in real MNIST digits is proposed with the right
number only when the second read (PP-OCRv6 under Luhn) is switched on."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ingest.archive import Archive
from ingest.intake import Intake
from ingest.quarantine import Quarantine
from ingest.worker import Worker, WorkerConfig
from registry.bootstrap import open_registry
from registry.models import Proposal
from samples.generate import render_sample


@pytest.fixture(scope="module")
def hand_form() -> tuple[bytes, dict[str, str]]:
    pdf, truth = render_sample(0, 1, "dev", hand_digits=True)
    return pdf, truth["declarations"][0]["fields"]


@pytest.mark.parametrize("second_read", [False, True])
def test_the_setting_decides_whether_hand_written_digits_are_read_again(
    tmp_path: Path, hand_form: tuple[bytes, dict[str, str]], second_read: bool
) -> None:
    pdf, want = hand_form
    url = f"sqlite:///{tmp_path / 'r.db'}"
    registry = open_registry(url)
    data, inbox = tmp_path / "data", tmp_path / "inbox"
    inbox.mkdir()
    intake = Intake(
        inbox=inbox,
        archive=Archive(data / "archive"),
        quarantine=Quarantine(data / "quarantine"),
        session_factory=registry.sessions,
    )
    (inbox / "hand.pdf").write_bytes(pdf)
    assert intake.take(inbox / "hand.pdf").outcome == "submitted"
    config = WorkerConfig(
        database_url=url,
        archive_dir=data / "archive",
        quarantine_dir=data / "quarantine",
        idle_seconds=0.05,
        second_read=second_read,
    )
    Worker(config, registry.sessions, "w").run(threading.Event(), until_idle=True)
    with registry.sessions() as s:
        [proposal] = s.query(Proposal).all()
        number = proposal.fields["organisation_number"]["value"]
        flags = list(proposal.flags)
    registry.close()
    assert (number == want["organisation_number"]) is second_read
    assert ("second_reader:organisation_number" in flags) is second_read
