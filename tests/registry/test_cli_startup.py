"""What the quick commands load: ``signreg --help`` and ``signreg submissions --json``
must not pull in the ORM models, pydantic schemas, Alembic or the OCR engine (the
imports that made every command cost 1.3–1.7 s before it started)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry.helpers import propose, result, seed_declaration, sha

HEAVY = ("sqlalchemy.orm", "registry.models", "registry.schemas", "alembic", "ocr.pipeline", "cv2")

PROBE = """
import json, sys
sys.argv = ["signreg", *json.loads(sys.argv[1])]
from api.cli import main
try:
    main()
finally:
    heavy = [m for m in json.loads(sys.argv_heavy) if m in sys.modules]
    print("\\nLOADED=" + json.dumps(heavy))
"""


def _loaded(args: list[str], env: dict[str, str]) -> tuple[str, list[str]]:
    code = PROBE.replace("sys.argv_heavy", repr(json.dumps(HEAVY)))
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    out, _, loaded = done.stdout.rpartition("\nLOADED=")
    assert loaded, done.stderr
    return out, json.loads(loaded)


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    import os

    return {**os.environ, "SIGNREG_DATABASE_URL": db_url, "SIGNREG_DATA_DIR": str(tmp_path)}


def test_help_loads_nothing_heavy(env):
    out, loaded = _loaded(["--help"], env)
    assert "submissions" in out and loaded == []


def test_submissions_json_reads_the_queue_without_the_orm(env, session_factory):
    seed_declaration(session_factory)
    ids = propose(session_factory, result(), name="scan-a")
    out, loaded = _loaded(["submissions", "--json"], env)
    [row] = json.loads(out)
    assert (row["file"], row["status"], row["sha256"]) == ("scan-a.pdf", "proposed", sha("scan-a"))
    assert row["proposals"] == ids and row["received_at"] == "2026-03-01T09:00:00Z"
    assert loaded == []
