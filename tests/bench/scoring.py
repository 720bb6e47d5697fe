"""Score ``signreg extract`` lines against the generator's truth files.

A value is right when it equals the truth after normalising whitespace and case; a
missing value is right only when the truth is missing too. A *silent error* is a wrong
value (or signature finding) given with confidence ≥ 0.9. Declarations are paired with
the truth's by shared pages, in page order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ocr.model import FIELD_NAMES

SURE = 0.9


@dataclass(slots=True)
class Score:
    files: int = 0
    file_errors: int = 0
    declarations: int = 0
    right: Counter[str] = field(default_factory=Counter)
    signature_right: int = 0
    declaration_right: int = 0  # which declaration (form profile) was signed
    batch_right: int = 0
    silent_errors: int = 0
    truth_values: int = 0
    values_right: int = 0  # right among the values the truth has
    sure_values: int = 0
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    def add_file(self, line: dict[str, Any], truth: dict[str, Any]) -> None:
        self.files += 1
        wanted = truth["declarations"]
        got = [] if "error" in line else line["declarations"]
        self.file_errors += "error" in line
        self.declarations += len(wanted)
        self.batch_right += len(got) == len(wanted)
        pairs, extra = _pair(wanted, got)
        for t, e in pairs:
            self._add_declaration(line["file"], t, e)
        for e in extra:  # a declaration the truth does not have: its sure values are wrong
            for name in FIELD_NAMES:
                value = e["fields"][name]
                if value["value"] is not None and value["confidence"] >= SURE:
                    self.silent_errors += 1
                    self._mistake(line["file"], name, None, value, silent=True)

    def _add_declaration(self, file: str, t: dict[str, Any], e: dict[str, Any] | None) -> None:
        for name in FIELD_NAMES:
            want = t["fields"].get(name)
            got: dict[str, Any] = e["fields"][name] if e else {"value": None, "confidence": 0.0}
            self.truth_values += want is not None
            ok = norm(got["value"]) == norm(want)
            self.right[name] += ok
            self.values_right += ok and want is not None
            sure = got["value"] is not None and got["confidence"] >= SURE
            self.sure_values += sure and want is not None
            if not ok:
                self.silent_errors += sure
                self._mistake(file, name, want, got, silent=sure)
        if e is not None and e.get("declaration") == t["declaration"]:
            self.declaration_right += 1
        elif e is not None:
            got_decl = {"value": e.get("declaration"), "confidence": 0.0}
            self._mistake(file, "declaration", t["declaration"], got_decl, silent=False)
        present = bool(e and e["signature"]["present"])
        if present == t["signature"]["present"]:
            self.signature_right += 1
        else:
            sure = bool(e) and e["signature"]["confidence"] >= SURE  # type: ignore[index]
            self.silent_errors += sure
            got_sig = {"value": present, "confidence": e["signature"]["confidence"] if e else 0}
            self._mistake(file, "signature", t["signature"]["present"], got_sig, silent=sure)

    def _mistake(
        self, file: str, name: str, want: Any, got: dict[str, Any], *, silent: bool
    ) -> None:
        self.mistakes.append(
            {
                "file": file,
                "field": name,
                "truth": want,
                "got": got["value"],
                "confidence": got["confidence"],
                "silent": silent,
            }
        )

    def summary(self) -> dict[str, Any]:
        n = max(1, self.declarations)
        return {
            "files": self.files,
            "file_errors": self.file_errors,
            "declarations": self.declarations,
            "field_accuracy": {name: self.right[name] / n for name in FIELD_NAMES},
            "signature_accuracy": self.signature_right / n,
            "declaration_accuracy": self.declaration_right / n,
            "batch_split_accuracy": self.batch_right / max(1, self.files),
            "silent_errors": self.silent_errors,
            "sure_share": self.sure_values / max(1, self.truth_values),
            "value_accuracy": self.values_right / max(1, self.truth_values),
            "truth_values": self.truth_values,
        }


def norm(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(str(value).split()).casefold() or None


def _pair(
    wanted: list[dict[str, Any]], got: list[dict[str, Any]]
) -> tuple[list[tuple[dict[str, Any], dict[str, Any] | None]], list[dict[str, Any]]]:
    free = list(got)
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for t in wanted:
        pages = set(t["pages"])
        best = max(free, key=lambda e: len(pages & set(e["pages"])), default=None)
        if best is not None and pages & set(best["pages"]):
            free.remove(best)
            pairs.append((t, best))
        else:
            pairs.append((t, None))
    return pairs, free
