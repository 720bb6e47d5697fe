"""The lock files agree: the image installs exactly the versions the tests ran with."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ \\]+)", re.M)


def pins(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall(path.read_text())}


def test_the_images_lock_is_the_runtime_part_of_the_main_lock() -> None:
    main, image = pins(ROOT / "requirements.lock"), pins(ROOT / "docker" / "requirements.lock")
    assert {"fastapi", "sqlalchemy", "pytesseract", "tesserocr", "zxing-cpp"} <= image.keys()
    assert not {"pytest", "mypy", "ruff", "playwright"} & image.keys()  # no dev tools
    assert {n: v for n, v in image.items() if main.get(n) != v} == {}
