from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from pydantic import EmailStr, Field

from ecabinet.auth import service
from ecabinet.auth.limits import login_limit
from ecabinet.auth.models import ROLES
from ecabinet.common.api import actor, any_user, bearer_token, body, created, may, no_content, public
from ecabinet.common.input import Body, Id, Text
from ecabinet.common.openapi import doc

bp = Blueprint("auth", __name__)


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=500)
    device_name: str | None = Field(
        None,
        max_length=100,
        description="how the login is listed among the user's devices (default: from the user agent)",
    )


class UserCreateBody(Body):
    username: str = Field(min_length=2, max_length=80)
    full_name: Text
    password: str = Field(min_length=1, max_length=500)
    roles: list[str] = Field(min_length=1, description=f"any of {', '.join(ROLES)}")
    title: str | None = Field(None, max_length=200)
    email: EmailStr | None = None
    organization: Id | Text | None = Field(None, description="an organisation id, or a name")


class UserUpdateBody(Body):
    full_name: Text | None = None
    password: str | None = Field(None, max_length=500)
    roles: list[str] | None = None
    title: str | None = Field(None, max_length=200)
    email: EmailStr | None = None
    organization: Id | Text | None = None
    active: bool | None = None


class OrganizationBody(Body):
    name: Text
    short_name: str | None = Field(None, max_length=50)


@bp.post("/auth/login")
@public
@login_limit
@doc(
    "Log in and get a bearer token", who="anyone", body=LoginBody, returns="{token, user}", errors=(401, 429)
)
def login():
    data = body(LoginBody)
    user = service.authenticate(data.username, data.password)
    token = service.issue_token(
        user,
        current_app.config["ECABINET_TOKEN_DAYS"],
        request.user_agent.string,
        address=request.remote_addr,
        device_name=(data.device_name or "").strip() or None,
    )
    return jsonify({"token": token, "user": service.serialize_user(user)})


@bp.post("/auth/logout")
@may(any_user)
@doc("Revoke the bearer token used for this call", status=204, returns="nothing")
def logout():
    raw = bearer_token()
    if raw:
        service.revoke_token(actor(), raw)
    return no_content()


@bp.get("/me")
@doc("The caller's own account", returns="{id, username, full_name, roles, organization}")
def me():
    return jsonify(service.serialize_user(actor()))


@bp.post("/users")
@may(service.require_admin)
@doc("Create a user", who="admin", body=UserCreateBody, status=201, returns="the user", errors=(403, 409))
def create_user():
    data = body(UserCreateBody)
    user = service.create_user(actor(), **data.model_dump())
    return created(service.serialize_user(user))


@bp.get("/users")
@doc("All users", who="admin, secretariat", returns="list of users", errors=(403,))
def list_users():
    return jsonify([service.serialize_user(u) for u in service.list_users(actor())])


@bp.get("/users/<int:user_id>")
@doc("One user", who="admin, secretariat", returns="the user", errors=(403, 404))
def get_user(user_id: int):
    service.list_users(actor())  # the same permission as the list
    return jsonify(service.serialize_user(service.get_user(user_id)))


@bp.patch("/users/<int:user_id>")
@may(service.require_admin)
@doc(
    "Change a user: name, roles, password, organisation, or `active: false` to deactivate",
    who="admin",
    body=UserUpdateBody,
    returns="the user",
    errors=(403, 404, 409),
)
def update_user(user_id: int):
    data = body(UserUpdateBody)
    user = service.update_user(actor(), user_id, **data.model_dump(exclude_unset=True))
    return jsonify(service.serialize_user(user))


@bp.post("/organizations")
@may(service.require_admin)
@doc(
    "Create an organisation (ministry, office)",
    who="admin",
    body=OrganizationBody,
    status=201,
    returns="the organisation",
    errors=(403, 409),
)
def create_organization():
    data = body(OrganizationBody)
    return created(service.serialize_organization(service.create_organization(actor(), **data.model_dump())))


@bp.get("/organizations")
@doc("All organisations", returns="list of organisations")
def list_organizations():
    return jsonify([service.serialize_organization(o) for o in service.list_organizations()])
