"""API tokens: issue, use, expire, revoke; bad tokens answer 401 problem+json."""

from __future__ import annotations

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from tests.accounts.support import PASSWORD, audit_actions, code_at, login, make_user, unit_id


async def _token(client, name, password=PASSWORD, totp=None):
    body = {"username": name, "password": password}
    if totp:
        body["totp"] = totp
    return await client.post("/api/v1/auth/token", json=body)


async def test_issue_use_and_revoke_a_token(client):
    user_id, name, _ = await make_user("440703", Role.CLERK, Role.REVIEWER)
    answer = await _token(client, name)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 8 * 3600
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    me = await client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200
    assert me.json() == {
        "username": name,
        "display_name": "测试用户",  # as pages greet the user
        "org_unit": {"code": "440703", "name": me.json()["org_unit"]["name"]},
        "roles": ["clerk", "reviewer"],
    }
    assert "蓬江" in me.json()["org_unit"]["name"]
    # stored only as a hash
    async with tenant_transaction(TenantContext.none()):
        stored = await current_transaction().connection.fetch(
            "SELECT token_hash FROM api_tokens WHERE user_id = $1", user_id
        )
    assert len(stored) == 1 and body["access_token"].encode() not in bytes(stored[0]["token_hash"])
    revoked = await client.post("/api/v1/auth/revoke", headers=auth)
    assert revoked.status_code == 204
    after = await client.get("/api/v1/me", headers=auth)
    assert after.status_code == 401
    assert after.headers["content-type"].startswith("application/problem+json")
    actions = [r["action"] for r in await audit_actions(await unit_id("440703"))]
    assert "auth.token_issued" in actions and "auth.token_revoked" in actions


async def test_expired_and_bad_tokens_answer_401_problem(client):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    token = (await _token(client, name)).json()["access_token"]
    async with tenant_transaction(TenantContext.none()):
        await current_transaction().connection.execute(
            "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", user_id
        )
    for header in (f"Bearer {token}", "Bearer rs_made-up", "Basic abc", ""):
        answer = await client.get("/api/v1/me", headers={"Authorization": header} if header else {})
        assert answer.status_code == 401, header
        problem = answer.json()
        assert problem["status"] == 401 and problem["type"].startswith("urn:renshe:problem:")
        assert answer.headers.get("www-authenticate") == "Bearer"


async def test_browser_cookie_is_not_accepted_by_the_api(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    assert (await login(client, name)).status_code == 303
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_token_endpoint_applies_the_login_rules(client):
    _, admin, secret = await make_user("440704", Role.DISTRICT_ADMIN)
    assert (await _token(client, admin)).status_code == 401  # no TOTP code
    assert (await _token(client, admin, totp=code_at(secret))).status_code == 200
    _, clerk, _ = await make_user("440704", Role.CLERK)
    for _ in range(5):
        assert (await _token(client, clerk, "Wrong-Password-1")).status_code == 401
    assert (await _token(client, clerk)).status_code == 401  # locked
    # a token stops working when its user is deactivated
    uid, name, _ = await make_user("440704", Role.CLERK)
    token = (await _token(client, name)).json()["access_token"]
    async with tenant_transaction(TenantContext.none()):
        await current_transaction().connection.execute("UPDATE users SET active = false WHERE id = $1", uid)
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_malformed_token_request_is_422(client):
    answer = await client.post("/api/v1/auth/token", json={"username": "x"})
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"].startswith("application/problem+json")
