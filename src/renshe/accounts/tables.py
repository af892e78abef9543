"""Users, role grants and API tokens (global tables: no citizen data)."""

from piccolo.columns import UUID, Array, Boolean, Bytea, ForeignKey, Integer, Text, Timestamptz
from piccolo.table import Table

from renshe.tenancy.tables import OrgUnit


class User(Table, tablename="users"):
    id = UUID(primary_key=True)
    username = Text()
    display_name = Text(default="")
    org_unit_id = ForeignKey(OrgUnit, db_column_name="org_unit_id", null=False)
    password_hash = Text()
    password_history = Array(Text())
    password_changed_at = Timestamptz()
    must_change_password = Boolean(default=False)
    totp_secret_enc = Text(null=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    active = Boolean(default=True)
    last_login_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class RoleGrant(Table, tablename="role_grants"):
    # the real key is (user_id, role); Piccolo needs one column to call primary
    user_id = ForeignKey(User, db_column_name="user_id", primary_key=True, null=False)
    role = Text()
    granted_by = UUID(null=True)
    granted_at = Timestamptz()


class ApiToken(Table, tablename="api_tokens"):
    id = UUID(primary_key=True)
    user_id = ForeignKey(User, db_column_name="user_id", null=False)
    token_hash = Bytea()
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
