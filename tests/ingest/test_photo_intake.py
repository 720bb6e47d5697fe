"""A phone photo dropped into the inbox: taken like a scan, read by a real worker (SQLite and
PostgreSQL, real Tesseract), its page shown to reviewers; other images kept out clearly."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

from api.page_images import PageImages
from ingest.intake import Intake
from ingest.worker import Worker, WorkerConfig
from registry.models import Proposal
from samples.photo import plan_photo, render_not_a_page, render_photo
from tests.ingest.conftest import submissions, with_fields

SEED = 1  # dev split


def photo(index: int) -> tuple[bytes, dict]:
    spec = replace(plan_photo(index, SEED, "dev"), frame=(2448, 3264))
    return render_photo(index, SEED, "dev", spec)


def read_all(config: WorkerConfig, intake: Intake) -> int:
    real = with_fields(config, engine="auto")
    return Worker(real, intake.session_factory, "w1").run(threading.Event(), until_idle=True)


def test_a_jpeg_in_the_inbox_becomes_a_submission_and_a_proposal(
    config: WorkerConfig, intake: Intake, inbox: Path, tmp_path: Path
) -> None:
    data, truth = photo(1)
    path = inbox / "IMG_4711.JPG"
    path.write_bytes(data)
    result = intake.take(path)
    assert result.outcome == "submitted", result.reason
    assert not path.exists() and intake.quarantine.entries() == []
    assert intake.archive.read(result.sha256 or "") == data  # the photo as sent, byte for byte
    kept = intake.archive.path_for(result.sha256 or "")
    assert kept.suffix == ".jpg" and kept.stem == result.sha256  # named for what it is
    assert read_all(config, intake) == 1
    [sub] = submissions(intake.session_factory)
    assert sub.status == "proposed"
    with intake.session_factory() as session:
        [proposal] = session.scalars(select(Proposal)).all()
        fields = proposal.fields
    want = truth["declarations"][0]["fields"]
    assert fields["organisation"]["value"] == want["organisation"]
    assert fields["organisation_number"]["value"] == want["organisation_number"]
    # the reviewer's page: the photo's page, upright, A4 at the engine's resolution
    images = PageImages(cache_dir=tmp_path / "cache", archive=intake.archive)
    with Image.open(images.master(sub.sha256, 1)) as master:
        width, height = master.size
    assert abs(height / width - 297 / 210) < 0.01 and 1600 <= width <= 2500
    # and the box of a value read falls on its ink there
    crop = images.crop(sub.sha256, 1, fields["organisation"]["bbox"], pad=0.2)
    with Image.open(crop) as value:
        assert int(np.asarray(value.convert("L")).min()) < 100


def test_a_photo_of_something_else_is_quarantined_with_its_reason(
    config: WorkerConfig, intake: Intake, inbox: Path
) -> None:
    data, _ = render_not_a_page(0, SEED)  # a bare table
    path = inbox / "table.jpg"
    path.write_bytes(data)
    assert intake.take(path).outcome == "submitted"  # a valid JPEG: known only once read
    read_all(config, intake)
    [sub] = submissions(intake.session_factory)
    assert (sub.status, sub.reason) == ("quarantined", "no_page_in_photo")


def test_heic_and_broken_images_are_quarantined_at_intake(intake: Intake, inbox: Path) -> None:
    heic = inbox / "IMG_0001.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    data, _ = photo(3)
    cut = inbox / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    outcomes = {p.name: intake.take(p) for p in (heic, cut)}
    assert outcomes["IMG_0001.HEIC"].outcome == "quarantined"
    assert outcomes["IMG_0001.HEIC"].reason == "truncated"  # a HEIC header and nothing more
    assert outcomes["cut.jpg"].outcome == "quarantined"
    assert outcomes["cut.jpg"].reason == "truncated"
