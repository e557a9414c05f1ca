"""The OpenAPI file describes every /api/v1 route that exists, with each of its methods."""

import re

from tests.helpers import ok

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def openapi(client) -> dict:
    response = client.get("/api/v1/openapi.json")  # no login: tablets and tools read it first
    assert response.mimetype == "application/json"
    return ok(response)


def api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            yield rule


def as_openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule[len("/api/v1") :])


def test_it_is_openapi_3_1(client):
    spec = openapi(client)
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and spec["paths"]
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_every_api_rule_is_listed_with_each_method(app, client):
    paths = openapi(client)["paths"]
    missing = []
    for rule in api_rules(app):
        path = as_openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {rule.rule}")
    assert missing == []


def test_nothing_is_listed_that_does_not_exist(app, client):
    paths = openapi(client)["paths"]
    existing = {
        (as_openapi_path(rule.rule), method.lower())
        for rule in api_rules(app)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(path, method) for path, ops in paths.items() for method in ops if method in HTTP_METHODS}
    assert listed == existing


def test_the_contract_paths_are_there(client):
    paths = openapi(client)["paths"]
    for method, path in [
        ("post", "/auth/login"),
        ("post", "/auth/logout"),
        ("get", "/me"),
        ("post", "/users"),
        ("get", "/users"),
        ("post", "/meetings"),
        ("get", "/meetings"),
        ("get", "/meetings/{meeting_id}"),
        ("patch", "/meetings/{meeting_id}"),
        ("post", "/meetings/{meeting_id}/publish"),
        ("post", "/meetings/{meeting_id}/start"),
        ("post", "/meetings/{meeting_id}/close"),
        ("post", "/meetings/{meeting_id}/agenda"),
        ("patch", "/agenda/{item_id}"),
        ("delete", "/agenda/{item_id}"),
        ("post", "/meetings/{meeting_id}/agenda/order"),
        ("post", "/meetings/{meeting_id}/current"),
        ("post", "/meetings/{meeting_id}/attendance"),
        ("get", "/meetings/{meeting_id}/events"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path}"


def test_operations_are_well_formed(client):
    spec = openapi(client)
    schemas = spec["components"]["schemas"]
    operation_ids = []
    for path, ops in spec["paths"].items():
        assert path.startswith("/") and not path.startswith("/api/v1")
        templated = set(re.findall(r"{([^}]+)}", path))
        for method, op in ops.items():
            assert method in HTTP_METHODS, (path, method)
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            operation_ids.append(op["operationId"])
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == templated, where
            assert all(p["required"] is True for p in op.get("parameters", []) if p["in"] == "path"), where
            assert op["responses"], where
            for status, answer in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status), (where, status)
                assert answer.get("description") is not None, (where, status)
            for ref in re.findall(r"'\$ref': '([^']+)'", str(op)):
                assert ref.startswith("#/components/schemas/"), (where, ref)
                assert ref.rsplit("/", 1)[-1] in schemas, (where, ref)
    assert len(operation_ids) == len(set(operation_ids))


def test_errors_are_described_with_the_contract_body(client):
    spec = openapi(client)
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert set(error["properties"]["error"]["required"]) == {"code", "message"}
    login = spec["paths"]["/auth/login"]["post"]
    assert login["security"] == []  # login needs no token
    assert {"200", "400", "401", "429"} <= set(login["responses"])
    create = spec["paths"]["/meetings"]["post"]
    assert {"201", "400", "401", "403"} <= set(create["responses"])
    assert create["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_request_bodies_name_their_fields(client):
    spec = openapi(client)
    schemas = spec["components"]["schemas"]

    def body_schema(path, method):
        ref = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return schemas[ref.rsplit("/", 1)[-1]]

    login = body_schema("/auth/login", "post")
    assert set(login["required"]) == {"username", "password"}
    meeting = body_schema("/meetings", "post")
    assert {"title", "starts_at"} <= set(meeting["required"])
    assert {"title", "starts_at", "location", "chair_id", "participants"} <= set(meeting["properties"])
    item = body_schema("/meetings/{meeting_id}/agenda", "post")
    assert {"title", "parent_id", "presenter", "duration_minutes", "confidential", "restricted_to"} <= set(
        item["properties"]
    )
    assert body_schema("/meetings/{meeting_id}/agenda/order", "post")["required"] == ["order"]
    assert body_schema("/meetings/{meeting_id}/current", "post")["required"] == ["agenda_item_id"]


def test_the_events_call_documents_after(client):
    operation = openapi(client)["paths"]["/meetings/{meeting_id}/events"]["get"]
    query = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert query["after"]["schema"]["type"] == "integer"
    assert query["after"]["required"] is False
    assert "400" in operation["responses"]


def test_every_operation_may_answer_503_with_retry_after(client):
    spec = openapi(client)
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert "Retry-After" in op["responses"]["503"]["headers"], (method, path)


def test_a_retried_cast_is_documented_as_200(client):
    cast = openapi(client)["paths"]["/votes/{vote_id}/cast"]["post"]
    assert {"200", "201", "409", "503"} <= set(cast["responses"])
    assert "client_id" in cast["responses"]["200"]["description"]
    body = openapi(client)["components"]["schemas"]["CastBody"]
    assert set(body["properties"]) == {"choice", "client_id"}
