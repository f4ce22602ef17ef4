"""The back office's own tables: owner accounts, the audit log, failed logins, API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqladmin.authentication import get_current_user_id
from sqladmin.filters import AllUniqueStringValuesFilter
from starlette.requests import Request
from wtforms import Form, PasswordField
from wtforms.validators import Optional as OptionalValue

from cms.admin.accounts import (
    AccountError,
    check_password,
    check_username,
    credentials_changed,
)
from cms.admin.formatters import flag_formatter, time_formatter
from cms.admin.tokens import ApiTokenAdmin
from cms.admin.views import CMSModelView
from cms.content import write
from cms.core.models import AdminUser, AuditLog, LoginAttempt
from cms.core.security import hash_password

__all__ = ["OWN_VIEWS", "AdminUserAdmin", "AuditLogAdmin", "LoginAttemptAdmin"]


class AdminUserAdmin(CMSModelView, model=AdminUser):
    name = "Admin account"
    icon = "fa-solid fa-user-shield"
    category = "Back office"
    can_export = False
    column_list: ClassVar[Any] = ["username", "is_active", "last_login_at", "created_at"]
    column_labels: ClassVar[dict[Any, str]] = {
        "is_active": "Active",
        "last_login_at": "Last login",
        "created_at": "Created",
    }
    column_formatters: ClassVar[dict[Any, Any]] = {
        "is_active": flag_formatter("is_active"),
        "last_login_at": time_formatter("last_login_at"),
        "created_at": time_formatter("created_at"),
    }
    column_searchable_list: ClassVar[Any] = ["username"]
    column_sortable_list: ClassVar[Any] = ["username", "is_active", "last_login_at"]
    column_default_sort: ClassVar[Any] = [("username", False)]
    form_columns: ClassVar[Sequence[Any]] = ["username", "is_active"]
    column_details_exclude_list: ClassVar[Sequence[Any]] = ["password_hash", "totp_secret"]
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        "is_active": {"label": "Active", "description": "Inactive accounts cannot log in."},
    }

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form_class = await super().scaffold_form(rules)
        password = PasswordField(
            "New password",
            validators=[OptionalValue()],
            description=(
                "At least 12 characters, hard to guess, not leaked, without the username: "
                "three or four unrelated words work well. Leave empty to keep the current one."
            ),
            render_kw={"class": "form-control", "autocomplete": "new-password"},
        )
        return type(form_class.__name__, (form_class,), {"new_password": password})

    def problems(self, values: dict[str, Any]) -> write.Problems:
        """Username rules and the CLI's password policy (the username comes back normalised)."""
        problems: write.Problems = {}
        username = str(values.get("username") or "")
        try:
            values["username"] = check_username(username)
        except AccountError as exc:
            problems["username"] = [str(exc)]
        if values.get("new_password"):
            try:
                check_password(values["new_password"], username=username)
            except AccountError as exc:
                problems["new_password"] = [str(exc)]
        return problems

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Check and normalise the account, then hash a new password (never kept in clear)."""
        password = data.get("new_password") or ""
        if not is_created and model.username == get_current_user_id(request):
            if not data.get("is_active", True):
                raise write.WriteError(
                    {}, "You cannot deactivate the account you are logged in with"
                )
        if is_created and not password:
            problems = {"new_password": ["A new account needs a password."]}
            request.state.write_problems = problems
            raise write.WriteError(problems)
        await super().on_model_change(data, model, is_created, request)
        if password:
            model.password_hash = hash_password(password)
            request.state.new_password = True

    async def after_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """A new password or a deactivation ends the account's sessions on every instance."""
        if is_created or not (getattr(request.state, "new_password", False) or not model.is_active):
            return
        async with self.session_maker() as session:
            await credentials_changed(session, model)
            await session.commit()

    async def on_model_delete(self, model: Any, request: Request) -> None:
        """Never delete the account in use."""
        if model.username == get_current_user_id(request):
            raise write.WriteError({}, "You cannot delete the account you are logged in with")
        await super().on_model_delete(model, request)


class _ReadOnlyView(CMSModelView):
    can_create = False
    can_edit = False
    can_delete = False


class AuditLogAdmin(_ReadOnlyView, model=AuditLog):
    name = "Audit entry"
    name_plural = "Audit log"
    icon = "fa-solid fa-clipboard-list"
    category = "Back office"
    page_size = 50
    page_size_options: ClassVar[Sequence[int]] = [50, 100]
    column_list: ClassVar[Any] = [
        "created_at",
        "username",
        "action",
        "table_name",
        "record_id",
        "record_label",
    ]
    column_labels: ClassVar[dict[Any, str]] = {
        "created_at": "When",
        "username": "Who",
        "table_name": "Table",
        "record_id": "ID",
        "record_label": "Record",
    }
    column_searchable_list: ClassVar[Any] = ["username", "table_name", "record_label"]
    column_sortable_list: ClassVar[Any] = ["created_at", "username", "action", "table_name"]
    column_default_sort: ClassVar[Any] = [("created_at", True), ("id", True)]
    column_filters: ClassVar[Any] = [
        AllUniqueStringValuesFilter("action", title="Action"),
        AllUniqueStringValuesFilter("table_name", title="Table"),
    ]
    column_details_exclude_list: ClassVar[Sequence[Any]] = []
    column_formatters: ClassVar[dict[Any, Any]] = {"created_at": time_formatter("created_at")}


class LoginAttemptAdmin(_ReadOnlyView, model=LoginAttempt):
    name = "Failed login"
    name_plural = "Failed logins"
    icon = "fa-solid fa-user-lock"
    category = "Back office"
    can_export = False
    page_size = 50
    page_size_options: ClassVar[Sequence[int]] = [50, 100]
    column_list: ClassVar[Any] = ["created_at", "username", "client"]
    column_labels: ClassVar[dict[Any, str]] = {"created_at": "When", "client": "Client address"}
    column_searchable_list: ClassVar[Any] = ["username", "client"]
    column_sortable_list: ClassVar[Any] = ["created_at", "username", "client"]
    column_default_sort: ClassVar[Any] = [("created_at", True)]
    column_details_exclude_list: ClassVar[Sequence[Any]] = []
    column_formatters: ClassVar[dict[Any, Any]] = {"created_at": time_formatter("created_at")}


OWN_VIEWS: tuple[type[CMSModelView], ...] = (
    AdminUserAdmin,
    AuditLogAdmin,
    LoginAttemptAdmin,
    ApiTokenAdmin,
)
"""The back office's own tables, after the CV in the menu."""
