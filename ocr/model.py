"""Results of extraction: frozen, plain data, JSON-ready via ``to_dict``.

The JSON shape is the contract of ``signreg extract --jsonl`` (see the design):
every field key is always present; a value not found is ``None`` with confidence 0;
``bbox`` is ``(x0, y0, x1, y1)`` as fractions of the upright page.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

FIELD_NAMES: tuple[str, ...] = (
    "organisation",
    "organisation_number",
    "county",
    "place",
    "signed_date",
    "signatory_name",
    "signatory_title",
    "email",
)

BBox = tuple[float, float, float, float]


def _round_bbox(bbox: BBox | None) -> list[float] | None:
    return None if bbox is None else [round(float(v), 4) for v in bbox]


@dataclass(frozen=True, slots=True)
class FieldValue:
    value: str | None
    confidence: float = 0.0
    page: int | None = None  # 1-based page number in the PDF
    bbox: BBox | None = None

    @classmethod
    def missing(cls) -> FieldValue:
        return cls(value=None, confidence=0.0, page=None, bbox=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": round(float(self.confidence), 3),
            "page": None if self.page is None else int(self.page),
            "bbox": _round_bbox(self.bbox),
        }


@dataclass(frozen=True, slots=True)
class SignatureFinding:
    present: bool
    confidence: float
    page: int | None = None
    bbox: BBox | None = None
    # what the verdict was decided on: the model's probability (``p_signed``) and the
    # measured features (ocr.signature_features); in the JSON only when there is any
    evidence: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "present": bool(self.present),
            "confidence": round(float(self.confidence), 3),
            "page": None if self.page is None else int(self.page),
            "bbox": _round_bbox(self.bbox),
        }
        if self.evidence:
            out["evidence"] = {k: round(float(v), 4) for k, v in self.evidence}
        return out


@dataclass(frozen=True, slots=True)
class CodeFinding:
    """A 2-D code (QR or DataMatrix) decoded on a page: its bytes, as they are; what
    they mean and whether to trust them is for the registry to decide."""

    format: str  # "qr" or "datamatrix"
    data: bytes
    page: int | None = None
    bbox: BBox | None = None

    @property
    def text(self) -> str | None:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "data": base64.b64encode(self.data).decode("ascii"),
            "text": self.text,
            "page": self.page,
            "bbox": _round_bbox(self.bbox),
        }


@dataclass(frozen=True, slots=True)
class DeclarationResult:
    """One declaration (one signing block) read from a PDF."""

    pages: tuple[int, ...]
    declaration: str | None  # profile slug, None when no profile matched
    fields: dict[str, FieldValue]
    signature: SignatureFinding
    flags: tuple[str, ...] = ()
    codes: tuple[CodeFinding, ...] = ()  # 2-D codes found on the declaration's pages

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": list(self.pages),
            "declaration": self.declaration,
            "fields": {
                name: self.fields.get(name, FieldValue.missing()).to_dict() for name in FIELD_NAMES
            },
            "signature": self.signature.to_dict(),
            "flags": list(self.flags),
            "codes": [c.to_dict() for c in self.codes],
        }


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything read from one PDF."""

    pages: int
    declarations: tuple[DeclarationResult, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "declarations": [d.to_dict() for d in self.declarations],
        }
