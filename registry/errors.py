"""Errors of the registry's services.

Each carries a one-line message a person can read; the CLI maps them to an exit status
and the web to an HTTP status, each in one place.

    RegistryError
    ├── NotFound            no such entity (proposal, organisation, declaration, …)
    ├── InvalidTransition   the entity's state does not allow this (approve a rejected …)
    ├── Conflict            a later decision or another worker got there first
    │   └── LeaseLost       the submission's lease is no longer this worker's
    └── ValidationError     a value given is not acceptable (bad date, bad number, …)
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every error ``registry`` raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotFound(RegistryError):
    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"no {entity} {key}")
        self.entity = entity
        self.key = key


class InvalidTransition(RegistryError):
    def __init__(self, entity: str, key: object, current: str, wanted: str) -> None:
        super().__init__(f"{entity} {key} is {current}; it cannot become {wanted}")
        self.entity = entity
        self.key = key
        self.current = current
        self.wanted = wanted


class Conflict(RegistryError):
    pass


class LeaseLost(Conflict):
    def __init__(self, submission_id: int, worker_id: str) -> None:
        super().__init__(f"submission {submission_id}: the lease is no longer held by {worker_id}")
        self.submission_id = submission_id
        self.worker_id = worker_id


class ValidationError(RegistryError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
