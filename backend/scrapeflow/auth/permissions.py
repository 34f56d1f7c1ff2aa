"""What each role, and each API key scope, may do: the one table the whole API reads."""

from __future__ import annotations

from enum import StrEnum

from scrapeflow.models import Role


class Permission(StrEnum):
    org_read = "org:read"
    bots_read = "bots:read"
    bots_write = "bots:write"
    members_manage = "members:manage"
    keys_manage = "keys:manage"
    destinations_manage = "destinations:manage"
    audit_read = "audit:read"
    billing_manage = "billing:manage"
    org_delete = "org:delete"


_VIEWER = frozenset({Permission.org_read, Permission.bots_read})
_EDITOR = _VIEWER | {Permission.bots_write}
_ADMIN = _EDITOR | {
    Permission.members_manage,
    Permission.keys_manage,
    Permission.destinations_manage,
    Permission.audit_read,
}
_OWNER = _ADMIN | {Permission.billing_manage, Permission.org_delete}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: _VIEWER,
    Role.editor: _EDITOR,
    Role.admin: _ADMIN,
    Role.owner: _OWNER,
}


class ApiKeyScope(StrEnum):
    read = "read"
    write = "write"


# An API key acts with the rights of the strongest role its scopes stand for.
SCOPE_ROLES: dict[ApiKeyScope, Role] = {ApiKeyScope.read: Role.viewer, ApiKeyScope.write: Role.editor}


def role_for_scopes(scopes: list[str]) -> Role:
    roles = [SCOPE_ROLES[ApiKeyScope(scope)] for scope in scopes if scope in ApiKeyScope.__members__]
    return max(roles, key=lambda role: role.rank, default=Role.viewer)
