"""User management for admins: list, create and edit accounts (a reviewer gets 403).

``GET /admin/users`` lists the accounts; ``/admin/users/new`` creates one, and
``/admin/users/{id}`` changes its role, scope (counties and declarations), language,
whether it is active, and resets its password. The services in ``registry.reviewers``
audit every change, sign a deactivated user (or one with a new password) out
everywhere, and keep the last active admin an admin; here only forms and messages.

This module also carries the overview, the audit trail and the personal-data pages
(``api.routes.privacy_pages``: erasure on request, retention); ``api.app`` includes
``api.routes.admin`` alone of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import AdminDep, CsrfDep, CtxDep, ReadDB, Viewer, gettext_for, now, render
from api.routes import audit_pages, overview, privacy_pages
from ocr.profile import load_profiles
from registry.declarations import declarations_in
from registry.errors import Conflict, RegistryError, ValidationError
from registry.models import Reviewer, Role
from registry.reviewers import MIN_PASSWORD, create_reviewer, get_reviewer, list_reviewers
from registry.reviewers import update_reviewer as update_account

router = APIRouter(include_in_schema=False)
router.include_router(overview.router)
router.include_router(audit_pages.router)
router.include_router(privacy_pages.router)


@cache
def profile_counties() -> tuple[str, ...]:
    """The counties the declarations' forms come from (``counties`` in each profile)."""
    return tuple(sorted({c for p in load_profiles() for c in p.counties}, key=str.casefold))


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in ascii_.lower()).split())


@dataclass(frozen=True, slots=True)
class Option:
    """One checkbox: its value, its words, its element id, whether it is ticked."""

    value: str
    label: str
    element_id: str
    checked: bool


@dataclass(frozen=True, slots=True)
class UserForm:
    """The form's values, as typed (given back to the form when something is wrong)."""

    username: str = ""
    display_name: str = ""
    email: str = ""
    role: str = Role.REVIEWER
    counties: tuple[str, ...] = ()
    declarations: tuple[str, ...] = ()
    locale: str = "sv"
    active: bool = True
    password: str = field(default="", repr=False)

    @classmethod
    def of(cls, row: Reviewer) -> UserForm:
        return cls(
            username=row.username,
            display_name=row.display_name,
            email=row.email or "",
            role=row.role,
            counties=tuple(row.counties or ()),
            declarations=tuple(row.declarations or ()),
            locale=row.locale,
            active=row.active,
        )


def user_form(
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = Role.REVIEWER,
    counties: Annotated[list[str] | None, Form()] = None,
    declarations: Annotated[list[str] | None, Form()] = None,
    locale: Annotated[str, Form()] = "sv",
    active: Annotated[bool, Form()] = False,
    password: Annotated[str, Form()] = "",
) -> UserForm:
    return UserForm(
        username=username.strip(),
        display_name=display_name.strip(),
        email=email.strip(),
        role=role,
        counties=tuple(counties or ()),
        declarations=tuple(declarations or ()),
        locale=locale,
        active=active,
        password=password,
    )


UserFormDep = Annotated[UserForm, Depends(user_form)]


def _options(
    choices: Iterable[tuple[str, str]], chosen: Iterable[str], prefix: str
) -> list[Option]:
    picked = {c.casefold() for c in chosen}
    return [
        Option(value, label, f"{prefix}-{_slug(value)}", value.casefold() in picked)
        for value, label in choices
    ]


def _declarations(db: Session) -> list[tuple[str, str]]:
    return [(d.slug, d.title) for d in declarations_in(session=db)]


def _form_page(
    request: Request,
    viewer: Viewer,
    db: Session,
    form: UserForm,
    *,
    user_id: int | None = None,
    error: tuple[str, str | None] | None = None,
    status: int = 200,
    flashes: list[tuple[str, str]] | None = None,
) -> Response:
    known = {c.casefold() for c in profile_counties()}
    extra = [c for c in form.counties if c.casefold() not in known]  # kept, not dropped
    counties = [(c, c) for c in (*profile_counties(), *extra)]
    titles = dict(_declarations(db))
    declarations = [*titles.items(), *((s, s) for s in form.declarations if s not in titles)]
    return render(
        request,
        "admin/user_form.html",
        viewer=viewer,
        nav="users",
        status_code=status,
        form=form,
        user_id=user_id,
        creating=user_id is None,
        county_options=_options(counties, form.counties, "county"),
        declaration_options=_options(declarations, form.declarations, "declaration"),
        error=error[0] if error else None,
        error_field=error[1] if error else None,
        min_password=MIN_PASSWORD,
        flashes=flashes,
    )


def _explain(
    _: Callable[[str], str], e: RegistryError, form: UserForm, *, creating: bool
) -> tuple[str, str | None]:
    """The Swedish words (and the field) for what the service refused."""
    if isinstance(e, Conflict):
        if creating:
            text = _("The user name %(name)s is taken: choose another.")
            return text % {"name": form.username}, "username"
        return _(
            "%(name)s is the last active admin: make someone else an admin before "
            "changing this role or deactivating the account."
        ) % {"name": form.username}, "role"
    by_field = {
        "password": _("A password needs at least %(n)s characters.") % {"n": MIN_PASSWORD},
        "username": _("Enter a user name."),
        "role": _("Choose a role: reviewer or admin."),
        "locale": _("Choose Swedish or English."),
    }
    field_name = e.field if isinstance(e, ValidationError) else None
    return by_field.get(field_name or "", str(e)), field_name


def _status(e: RegistryError) -> int:
    return 409 if isinstance(e, Conflict) else 422


@router.get("/admin/users")
def users_page(request: Request, viewer: AdminDep, db: ReadDB) -> Response:
    return render(
        request,
        "admin/users.html",
        viewer=viewer,
        nav="users",
        users=list_reviewers(session=db),
        titles=dict(_declarations(db)),
    )


@router.get("/admin/users/new")
def new_user_page(request: Request, viewer: AdminDep, db: ReadDB) -> Response:
    return _form_page(request, viewer, db, UserForm())


@router.post("/admin/users/new")
def create_user(
    request: Request, viewer: AdminDep, ctx: CtxDep, db: ReadDB, _csrf: CsrfDep, form: UserFormDep
) -> Response:
    _ = gettext_for(request, viewer)
    try:
        with ctx.sessions.begin() as write:  # its own transaction: a refusal leaves nothing
            row = create_reviewer(
                session=write,
                username=form.username,
                password=form.password,
                display_name=form.display_name,
                role=form.role,
                counties=form.counties,
                declarations=form.declarations,
                email=form.email,
                locale=form.locale,
                actor=viewer.actor,
                now=now(),
            )
            new_id = row.id
    except (ValidationError, Conflict) as e:
        error = _explain(_, e, form, creating=True)
        return _form_page(request, viewer, db, form, error=error, status=_status(e))
    return RedirectResponse(f"/admin/users/{new_id}?done=created", status_code=303)


@router.get("/admin/users/{user_id:int}")
def edit_user_page(
    request: Request, viewer: AdminDep, db: ReadDB, user_id: int, done: str | None = None
) -> Response:
    _ = gettext_for(request, viewer)
    row = get_reviewer(session=db, reviewer_id=user_id)
    words = {"created": _("The user is created."), "saved": _("The changes are saved.")}
    flashes = [("ok", words[done])] if done in words else None
    return _form_page(request, viewer, db, UserForm.of(row), user_id=user_id, flashes=flashes)


@router.post("/admin/users/{user_id:int}")
def update_user(
    request: Request,
    viewer: AdminDep,
    ctx: CtxDep,
    db: ReadDB,
    _csrf: CsrfDep,
    user_id: int,
    form: UserFormDep,
) -> Response:
    _ = gettext_for(request, viewer)
    stored = get_reviewer(session=db, reviewer_id=user_id)
    form = replace(form, username=stored.username)  # a user name is not changed here
    try:
        with ctx.sessions.begin() as write:
            update_account(
                session=write,
                reviewer_id=user_id,
                actor=viewer.actor,
                now=now(),
                display_name=form.display_name,
                role=form.role,
                counties=form.counties,
                declarations=form.declarations,
                active=form.active,
                locale=form.locale,
                email=form.email,
                password=form.password or None,
            )
    except (ValidationError, Conflict) as e:
        error = _explain(_, e, form, creating=False)
        return _form_page(
            request, viewer, db, form, user_id=user_id, error=error, status=_status(e)
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=saved", status_code=303)
