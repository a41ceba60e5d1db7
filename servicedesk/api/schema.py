"""OpenAPI post-processing: the error answers every operation can give (API.md conventions).

drf-spectacular documents only what a view declares; the framework's own answers
(401 without a valid token, 403 for a role that may not act, 404 outside the
caller's scope or for a stale page cursor, 400 for a bad filter or body, 415 for
a body in a format the parsers refuse, 429 at the login limit) would otherwise be undocumented, and
a client generated from the schema — or schemathesis — would treat them as
surprises. This hook adds each one where it can happen, without overriding what a
view already documents.
"""

from __future__ import annotations

from typing import Any

ERROR_BODY = {
    "type": "object",
    "description": "``detail`` (401/403/404/409/429) or field name → messages (400).",
    "additionalProperties": True,
}

METHODS = ("get", "put", "patch", "post", "delete")
# Operations behind the failed-login limits (servicedesk.security.login).
THROTTLED = frozenset({"auth_token_create"})


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: document the error answers of every operation."""
    for path, item in result.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            parameters = {p.get("name") for p in operation.get("parameters", [])}
            takes_input = bool(parameters) or "requestBody" in operation
            if takes_input:
                responses.setdefault("400", _error("字段或查询参数错误"))
            if "requestBody" in operation:
                responses.setdefault("415", _error("不支持的请求格式（Content-Type）"))
            if operation.get("security") != [{}] and {} not in operation.get("security", []):
                responses.setdefault("401", _error("未登录或令牌无效"))
            responses.setdefault("403", _error("角色无权访问"))
            if "{" in path:
                responses.setdefault("404", _error("不存在或不在调用者范围内"))
            elif "cursor" in parameters:
                responses.setdefault("404", _error("分页游标无效"))
            if operation.get("operationId") in THROTTLED:
                responses.setdefault("429", _error("失败次数过多，请稍后再试"))
    return result
