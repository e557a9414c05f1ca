from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, jsonify, request
from pydantic import Field, StringConstraints

from ecabinet.ballots import report, serialize, service
from ecabinet.common.api import DOCX, actor, body, created, download, may, writes
from ecabinet.common.input import Body, ClientId, Id, Ids, LongText, Text, Time
from ecabinet.common.openapi import doc
from ecabinet.documents import serialize as documents_serialize
from ecabinet.errors import Invalid

bp = Blueprint("ballots", __name__)

QuestionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class QuestionBody(Body):
    text: QuestionText


class BallotCreateBody(Body):
    title: Text
    questions: list[QuestionBody] = Field(min_length=1, max_length=50)
    recipients: Ids = Field(default_factory=list, description="member ids; or set all_members")
    all_members: bool = Field(False, description="send to every active cabinet member")
    deadline: Time
    summary: LongText | None = None
    documents: Ids = Field(default_factory=list)
    silence_is_consent: bool = False
    chair_id: Id | None = Field(None, description="whose answer decides a tie")


class BallotUpdateBody(Body):
    title: Text | None = None
    # Left out: unchanged. Null is no list of questions (or of recipients, documents) and is refused.
    questions: list[QuestionBody] = Field(None, min_length=1, max_length=50)
    recipients: Ids = None
    all_members: bool | None = None
    deadline: Time | None = None
    summary: LongText | None = None
    documents: Ids = None
    silence_is_consent: bool | None = None
    chair_id: Id | None = None


class AnswerBody(Body):
    question_id: Id
    choice: Literal["agree", "disagree", "other"]
    comment: Annotated[str, StringConstraints(max_length=10000)] | None = None


class ResponseBody(Body):
    answers: list[AnswerBody] = Field(min_length=1, max_length=50)
    client_id: ClientId | None = Field(
        None,
        description="made on the tablet; the same again (a retry after a lost answer, a tablet's offline "
        "outbox) returns the stored answers and changes nothing, even once the ballot has closed",
    )


class ReopenBody(Body):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    deadline: Time


def _create_args(data) -> dict:
    args = data.model_dump(exclude_unset=True)
    if "questions" in args:
        args["questions"] = [q["text"] for q in args["questions"]]
    if "all_members" in args:
        args["all_members_recipients"] = args.pop("all_members")
    return args


@bp.post("/ballots")
@may(service.require_secretariat)
@doc(
    "Prepare a written-opinion ballot (draft)",
    who="secretariat",
    body=BallotCreateBody,
    status=201,
    returns="{id, status: draft, questions: [{id, text}], …}",
    errors=(403,),
)
def create_ballot():
    data = body(BallotCreateBody)
    user = actor()
    args = _create_args(data)
    args.setdefault("recipients", [])
    return created(serialize.ballot(user, service.create_ballot(user, **args), detail=True))


@bp.get("/ballots")
@writes
@doc("Ballots sent to the caller (the secretariat: all), newest deadline first", returns="list of ballots")
def list_ballots():
    user = actor()
    return jsonify([serialize.ballot(user, b) for b in service.list_ballots(user)])


@bp.get("/ballots/<int:ballot_id>")
@writes
@doc(
    "A ballot with the caller's own answers",
    who="recipient, secretariat",
    returns="the ballot",
    errors=(404,),
)
def get_ballot(ballot_id: int):
    user = actor()
    return jsonify(serialize.ballot(user, service.get_ballot(user, ballot_id), detail=True))


@bp.patch("/ballots/<int:ballot_id>")
@may(service.managed)
@doc(
    "Change a draft ballot",
    who="secretariat",
    body=BallotUpdateBody,
    returns="the ballot",
    errors=(403, 404, 409),
)
def update_ballot(ballot_id: int):
    data = body(BallotUpdateBody)
    user = actor()
    return jsonify(
        serialize.ballot(user, service.update_ballot(user, ballot_id, **_create_args(data)), detail=True)
    )


@bp.post("/ballots/<int:ballot_id>/documents")
@may(service.managed)
@doc(
    "Attach a PDF to the ballot",
    who="secretariat",
    multipart=True,
    status=201,
    returns="the document",
    errors=(403, 404, 409, 413, 415),
)
def add_document(ballot_id: int):
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(
            "Send the PDF as multipart/form-data in the field `file`", code="missing_file", fields=["file"]
        )
    document = service.add_document(
        actor(), ballot_id, upload.stream, upload.filename, request.form.get("title")
    )
    return created(documents_serialize.document(document, with_versions=True))


def _transition(action: str, summary: str):
    def view(ballot_id: int):
        user = actor()
        return jsonify(serialize.ballot(user, getattr(service, action)(user, ballot_id), detail=True))

    view.__name__ = f"{action}_ballot"
    doc(summary, who="secretariat", returns="the ballot", errors=(403, 404, 409))(view)
    bp.post(f"/ballots/<int:ballot_id>/{action}")(may(service.managed)(view))


_transition("send", "Send the ballot to its recipients (draft → sent)")
_transition("close", "Close the ballot before its deadline (sent → closed)")


@bp.post("/ballots/<int:ballot_id>/remind")
@may(service.managed)
@doc(
    "Remind the recipients who have not answered every question",
    who="secretariat",
    returns="{reminded: [user_id]}",
    errors=(403, 404, 409),
)
def remind(ballot_id: int):
    late = service.remind(actor(), ballot_id)
    return jsonify({"reminded": [r.user_id for r in late]})


@bp.post("/ballots/<int:ballot_id>/reopen")
@may(service.managed)
@doc(
    "Re-open a closed ballot with a new deadline; the reason goes in the audit log",
    who="secretariat",
    body=ReopenBody,
    returns="the ballot",
    errors=(403, 404, 409),
)
def reopen(ballot_id: int):
    data = body(ReopenBody)
    user = actor()
    return jsonify(
        serialize.ballot(user, service.reopen(user, ballot_id, data.reason, data.deadline), detail=True)
    )


@bp.put("/ballots/<int:ballot_id>/response")
@may(service.answerable)
@doc(
    "Answer (or change answers) until the deadline or the close",
    who="recipient",
    body=ResponseBody,
    returns="the ballot with your answers",
    errors=(404, 409),
)
def respond(ballot_id: int):
    data = body(ResponseBody)
    user = actor()
    answers = [service.AnswerInput(a.question_id, a.choice, a.comment) for a in data.answers]
    return jsonify(
        serialize.ballot(user, service.respond(user, ballot_id, answers, data.client_id), detail=True)
    )


@bp.get("/ballots/<int:ballot_id>/results")
@writes
@doc(
    "Per question: agree, disagree, other, no_answer, passed, and each recipient's answer",
    who="secretariat",
    returns="{questions: [...]}",
    errors=(403, 404),
)
def results(ballot_id: int):
    return jsonify(serialize.results(service.results_for(actor(), ballot_id)))


@bp.get("/ballots/<int:ballot_id>/report.pdf")
@writes
@doc(
    "The summary report (báo cáo tổng hợp ý kiến), signed when the office's certificate is configured",
    who="secretariat",
    binary="application/pdf",
    returns="the PDF",
    errors=(403, 404),
)
def report_pdf(ballot_id: int):
    pdf = report.report_pdf(service.results_for(actor(), ballot_id))
    return download(pdf, "application/pdf", f"bao-cao-tong-hop-y-kien-{ballot_id}.pdf")


@bp.get("/ballots/<int:ballot_id>/report.docx")
@writes
@doc(
    "The summary report as an editable Word document",
    who="secretariat",
    binary=DOCX,
    returns="the DOCX",
    errors=(403, 404),
)
def report_docx(ballot_id: int):
    docx = report.report_docx(service.results_for(actor(), ballot_id))
    return download(docx, DOCX, f"bao-cao-tong-hop-y-kien-{ballot_id}.docx")
