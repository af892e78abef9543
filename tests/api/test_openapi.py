"""The OpenAPI document tells the truth about failures: every error an operation can answer is
declared, as ``application/problem+json`` with the ``ProblemDetails`` schema (RFC 9457).

The document is read from the real application (``create_app``), so a new route that forgets a
declaration fails here; what the operations really answer is checked by ``test_schemathesis``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/ProblemDetails"
# whose input only the decoder checks (400, no field rules of a service)
DECODER_ONLY = {"/api/v1/auth/token"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from renshe.web.app import create_app

    return create_app().openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]
    assert len(found) > 30, "the API should be in the document"
    return found


def _body_properties(document: dict[str, Any], op: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for media in (op.get("requestBody") or {}).get("content", {}).values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        names |= set(schema.get("properties", {}))
    return names


def test_problem_details_is_a_component_with_the_rfc_9457_members(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["ProblemDetails"]
    members = {"type", "title", "status", "detail", "instance", "request_id", "errors"}
    assert members <= set(schema["properties"])
    assert {"type", "title", "status", "detail", "instance"} <= set(schema["required"])
    assert schema["properties"]["status"]["type"] == "integer"


def test_every_error_response_is_problem_json(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, op in operations(document):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            content = response.get("content") or {}
            if list(content) != [PROBLEM] or content[PROBLEM]["schema"].get("$ref") != PROBLEM_REF:
                wrong.append(f"{method} {path} {status}: {sorted(content)}")
    assert not wrong, "error responses that are not ProblemDetails:\n" + "\n".join(wrong)


def test_every_operation_declares_the_codes_it_can_answer(document: dict[str, Any]) -> None:
    missing = []
    for method, path, op in operations(document):
        codes = set(op["responses"])
        secured = op.get("security", document.get("security")) not in (None, [])
        query = [p for p in op.get("parameters", []) if p["in"] == "query"]
        wanted = set()
        if secured:
            wanted.add("401")
        if op.get("parameters") or op.get("requestBody"):
            wanted.add("400")  # malformed JSON, a value of the wrong type
        if (query or op.get("requestBody")) and path not in DECODER_ONLY:
            wanted.add("422")  # the services answer bad values with field errors
        if re.search(r"\{[^}]+\}", path):
            wanted.add("404")
        if "version" in _body_properties(document, op) or any(
            p["name"] == "version" for p in op.get("parameters", [])
        ):
            wanted.add("409")  # optimistic locking: a stale version is a conflict
        if lacking := wanted - codes:
            missing.append(f"{method} {path}: {sorted(lacking)}")
    assert not missing, "operations that do not declare what they answer:\n" + "\n".join(missing)


def test_role_guarded_operations_declare_403_and_the_token_endpoint_is_anonymous(
    document: dict[str, Any],
) -> None:
    by_key = {(m, p): op for m, p, op in operations(document)}
    token = by_key[("POST", "/api/v1/auth/token")]
    assert token["security"] == []
    assert {"401", "403", "429"} <= set(token["responses"])
    assert "403" in by_key[("GET", "/api/v1/people")]["responses"]  # clerk, reviewer… only
    assert "403" not in by_key[("GET", "/api/v1/me")]["responses"]  # any signed-in user
    assert "409" in by_key[("POST", "/api/v1/disbursement-batches/{batch_id}/cancel")]["responses"]


def test_bodies_the_handlers_read_themselves_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    approve = paths["/api/v1/disbursement-batches/{batch_id}/approve"]["post"]
    assert {"version", "comment"} <= _body_properties(document, approve)
    upload = paths["/api/v1/disbursement-batches/{batch_id}/bank-return"]["post"]
    assert "file" in upload["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    bank_file = paths["/api/v1/disbursement-batches/{batch_id}/bank-file"]["get"]
    assert "text/csv" in bank_file["responses"]["200"]["content"]


def _component(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]["properties"]


def test_the_rules_the_services_enforce_are_stated(document: dict[str, Any]) -> None:
    from renshe.api.pagination import MAX_LIMIT
    from renshe.registry.identifiers.model import DocumentType
    from renshe.registry.unmask import MIN_REASON

    limits = [
        p["schema"]
        for _, _, op in operations(document)
        for p in op.get("parameters", [])
        if p["name"] == "limit"
    ]
    assert len(limits) >= 5
    assert all(s["minimum"] == 1 and s["maximum"] == MAX_LIMIT for s in limits), limits
    assert _component(document, "UnmaskIn")["reason"]["minLength"] == MIN_REASON
    assert set(_component(document, "DocumentIn")["type"]["enum"]) == {t.value for t in DocumentType}
    assert _component(document, "PersonIn")["name"]["maxLength"] == 100
    assert set(_component(document, "LinkIn")["role"]["enum"]) == {"founder", "employee"}
    assert _component(document, "ObjectionIn")["content"]["pattern"] == r"\S"
    # the number people say on the phone comes with every application and batch
    from renshe.numbering import PATTERN

    for schema in ("ApplicationOut", "BatchOut"):
        assert _component(document, schema)["number"]["pattern"] == PATTERN
        assert "number" in document["components"]["schemas"][schema]["required"]
    jobs = {p["name"]: p for p in document["paths"]["/api/v1/jobs"]["get"]["parameters"]}
    assert "succeeded" in jobs["status"]["schema"]["enum"]
