from flask import Blueprint, jsonify

from ecabinet.common import openapi
from ecabinet.common.api import public
from ecabinet.common.openapi import doc

bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
@public
@doc("This description of the API", who="anyone", returns="OpenAPI 3.1 document")
def openapi_json():
    return jsonify(openapi.build())
