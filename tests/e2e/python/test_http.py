"""HTTP-level behaviour that every Matrix client relies on."""

ORIGIN = "http://127.0.0.1:8080"


async def test_versions_lists_spec(api):
    reply = await api.http.get("/_matrix/client/versions")
    assert reply.status_code == 200, reply.text
    versions = reply.json()["versions"]
    assert isinstance(versions, list)
    assert any(version.startswith("v1.") for version in versions), versions


async def test_unknown_endpoint_unrecognized(api):
    for path in ("/_matrix/client/v3/no_such_endpoint", "/_matrix/client/v3/rooms/x/no_such_action"):
        reply = await api.http.get(path)
        assert reply.status_code == 404, f"{path}: {reply.status_code} {reply.text}"
        assert reply.json()["errcode"] == "M_UNRECOGNIZED", f"{path}: {reply.text}"


async def test_cors_preflight_allows_origin(api):
    reply = await api.http.options(
        "/_matrix/client/v3/login",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert reply.status_code in (200, 204), reply.text
    assert reply.headers.get("access-control-allow-origin") in ("*", ORIGIN)
    allowed_methods = reply.headers.get("access-control-allow-methods", "").upper()
    assert "POST" in allowed_methods
    allowed_headers = reply.headers.get("access-control-allow-headers", "").lower()
    assert allowed_headers == "*" or "authorization" in allowed_headers


async def test_cors_on_plain_response(api):
    reply = await api.http.get("/_matrix/client/versions", headers={"Origin": ORIGIN})
    assert reply.status_code == 200, reply.text
    assert reply.headers.get("access-control-allow-origin") in ("*", ORIGIN)
