from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from pydantic import EmailStr, Field

from ecabinet.auth import mfa, service
from ecabinet.auth.limits import code_limit, login_limit
from ecabinet.auth.models import ROLES
from ecabinet.common.api import actor, any_user, bearer_token, body, created, may, no_content, public
from ecabinet.common.input import Body, Id, Text
from ecabinet.common.openapi import doc
from ecabinet.common.time import iso

bp = Blueprint("auth", __name__)


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=500)
    device_name: str | None = Field(
        None,
        max_length=100,
        description="how the login is listed among the user's devices (default: from the user agent)",
    )


class MfaBody(Body):
    challenge: str = Field(min_length=1, max_length=100, description="from the login's answer")
    code: str = Field(
        min_length=1,
        max_length=20,
        description="a 6-digit code from the authenticator app, or an unused recovery code",
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
    "Log in and get a bearer token; an account with a second factor gets a challenge for `/auth/mfa` instead",
    who="anyone",
    body=LoginBody,
    returns="{token, user}; with a second factor {mfa_required: true, challenge, expires_at}",
    errors=(401, 403, 429),
)
def login():
    data = body(LoginBody)
    user = service.authenticate(data.username, data.password)
    device_name = (data.device_name or "").strip() or None
    if mfa.has_factor(user):
        challenge = mfa.start_challenge(user, "login", device_name)
        return jsonify(
            {"mfa_required": True, "challenge": challenge.raw, "expires_at": iso(challenge.expires_at)}
        )
    mfa.password_alone(user)
    return _logged_in(user, device_name)


@bp.post("/auth/mfa")
@public
@code_limit
@doc(
    "The second step of a login: the code for the challenge `/auth/login` answered with",
    who="anyone",
    body=MfaBody,
    returns="{token, user}, as a login without a second factor",
    errors=(401, 429),
)
def login_second_step():
    data = body(MfaBody)
    with mfa.failures_recorded():
        user, challenge = mfa.pass_challenge(data.challenge, data.code)
    return _logged_in(user, challenge.device_name)


def _logged_in(user, device_name: str | None):
    token = service.issue_token(
        user,
        current_app.config["ECABINET_TOKEN_DAYS"],
        request.user_agent.string,
        address=request.remote_addr,
        device_name=device_name,
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


@bp.get("/me/mfa")
@doc(
    "The caller's second factors",
    returns="{required, factors: [{id, kind, name, created_at, last_used_at}], recovery_codes_left}",
)
def my_factors():
    user = actor()
    return jsonify(
        {
            "required": mfa.is_required(user),
            "factors": [mfa.serialize_factor(f) for f in mfa.factors(user)],
            "recovery_codes_left": mfa.recovery_codes_left(user),
        }
    )


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
