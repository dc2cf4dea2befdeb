"""Login, access tokens, password change through user-interactive auth, logout."""

from nio import LoginInfoResponse, LoginResponse, LogoutResponse, WhoamiResponse

NEW_PASSWORD = "Second-Summit-77"


async def whoami_status(api, token: str) -> tuple[int, dict]:
    reply = await api.http.get(
        "/_matrix/client/v3/account/whoami", headers={"Authorization": f"Bearer {token}"}
    )
    return reply.status_code, reply.json()


async def test_login_flows_offer_password(nio_client):
    client = nio_client()
    info = await client.login_info()
    assert isinstance(info, LoginInfoResponse), f"login_info: {info}"
    assert "m.login.password" in info.flows


async def test_login_token_in_header(make_account, nio_client):
    account = await make_account("wangwu")
    client = nio_client(account.user_id)
    login = await client.login(account.password, device_name="e2e header")
    assert isinstance(login, LoginResponse), f"login: {login}"
    assert login.user_id == account.user_id
    assert login.device_id

    # matrix-nio sends the token in the Authorization header.
    whoami = await client.whoami()
    assert isinstance(whoami, WhoamiResponse), f"whoami: {whoami}"
    assert whoami.user_id == account.user_id
    assert whoami.device_id == login.device_id


async def test_login_token_in_query(api, make_account):
    account = await make_account("wangwu")
    reply = await api.http.get(
        "/_matrix/client/v3/account/whoami", params={"access_token": account.access_token}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["user_id"] == account.user_id


async def test_whoami_missing_or_unknown_token(api):
    reply = await api.http.get("/_matrix/client/v3/account/whoami")
    assert reply.status_code == 401, reply.text
    assert reply.json()["errcode"] == "M_MISSING_TOKEN"

    status, body = await whoami_status(api, "not-a-real-token")
    assert status == 401, body
    assert body["errcode"] == "M_UNKNOWN_TOKEN"


async def test_login_wrong_password(api, make_account):
    account = await make_account("wangwu")
    reply = await api.login(account.username, "Wrong-Password-99")
    assert reply.status_code == 403, reply.text
    assert reply.json()["errcode"] == "M_FORBIDDEN"


async def test_password_change_interactive(api, make_account):
    account = await make_account("zhaoliu")
    headers = {"Authorization": f"Bearer {account.access_token}"}
    other = await api.login(account.username, account.password)
    assert other.status_code == 200, other.text
    other_token = other.json()["access_token"]

    # Without auth the server starts a user-interactive auth session.
    first = await api.http.post(
        "/_matrix/client/v3/account/password", json={"new_password": NEW_PASSWORD}, headers=headers
    )
    assert first.status_code == 401, first.text
    challenge = first.json()
    assert isinstance(challenge["session"], str)
    stages = [stage for flow in challenge["flows"] for stage in flow["stages"]]
    assert "m.login.password" in stages

    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": account.username},
        "password": account.password,
        "session": challenge["session"],
    }
    second = await api.http.post(
        "/_matrix/client/v3/account/password",
        json={"new_password": NEW_PASSWORD, "auth": auth},
        headers=headers,
    )
    assert second.status_code == 200, second.text

    old = await api.login(account.username, account.password)
    assert old.status_code == 403, old.text
    assert old.json()["errcode"] == "M_FORBIDDEN"
    new = await api.login(account.username, NEW_PASSWORD)
    assert new.status_code == 200, new.text

    # logout_devices defaults to true: other sessions end, the requesting one stays.
    status, body = await whoami_status(api, other_token)
    assert status == 401, body
    assert body["errcode"] == "M_UNKNOWN_TOKEN"
    status, body = await whoami_status(api, account.access_token)
    assert status == 200, body


async def test_password_change_wrong_password(api, make_account):
    account = await make_account("zhaoliu")
    headers = {"Authorization": f"Bearer {account.access_token}"}
    first = await api.http.post(
        "/_matrix/client/v3/account/password", json={"new_password": NEW_PASSWORD}, headers=headers
    )
    assert first.status_code == 401, first.text

    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": account.username},
        "password": "Wrong-Password-99",
        "session": first.json()["session"],
    }
    second = await api.http.post(
        "/_matrix/client/v3/account/password",
        json={"new_password": NEW_PASSWORD, "auth": auth},
        headers=headers,
    )
    assert second.status_code == 401, second.text
    assert second.json()["errcode"] == "M_FORBIDDEN"

    still = await api.login(account.username, account.password)
    assert still.status_code == 200, still.text


async def test_logout_ends_token(api, make_account, nio_client):
    account = await make_account("sunqi01")
    other = await api.login(account.username, account.password)
    assert other.status_code == 200, other.text
    other_token = other.json()["access_token"]

    client = nio_client(account.user_id, account.access_token, account.device_id)
    logout = await client.logout()
    assert isinstance(logout, LogoutResponse), f"logout: {logout}"

    status, body = await whoami_status(api, account.access_token)
    assert status == 401, body
    assert body["errcode"] == "M_UNKNOWN_TOKEN"
    status, body = await whoami_status(api, other_token)
    assert status == 200, body


async def test_logout_all_ends_tokens(api, make_account, nio_client):
    account = await make_account("sunqi02")
    other = await api.login(account.username, account.password)
    assert other.status_code == 200, other.text
    other_token = other.json()["access_token"]

    client = nio_client(account.user_id, account.access_token, account.device_id)
    logout = await client.logout(all_devices=True)
    assert isinstance(logout, LogoutResponse), f"logout all: {logout}"

    for token in (account.access_token, other_token):
        status, body = await whoami_status(api, token)
        assert status == 401, body
        assert body["errcode"] == "M_UNKNOWN_TOKEN"


async def test_register_endpoint_closed(api):
    body = {
        "username": "selfmade01",
        "password": "Correct-Horse-42x",
        "auth": {"type": "m.login.dummy"},
    }
    reply = await api.http.post("/_matrix/client/v3/register", json=body)
    assert reply.status_code == 403, reply.text
    assert reply.json()["errcode"] == "M_FORBIDDEN"
