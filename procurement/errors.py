"""Errors of the procurement domain; each carries its HTTP status and problem code."""

from __future__ import annotations

__all__ = [
    "AmendmentRefused",
    "AwardRefused",
    "BidChanged",
    "BidNotFound",
    "BidsSealed",
    "ClarificationClosed",
    "ConflictOfInterest",
    "DeadlinePassed",
    "DeclarationRequired",
    "DocumentNotFound",
    "EligibilityMissing",
    "EvaluationRefused",
    "FourEyesRequired",
    "InvalidAward",
    "InvalidBid",
    "InvalidDecision",
    "InvalidDocument",
    "InvalidPrice",
    "InvalidScore",
    "InvalidTender",
    "LetterNotFound",
    "NoThresholdsForDate",
    "OpeningRefused",
    "PointsOutOfScale",
    "ProcurementError",
    "PublicationRefused",
    "QuestionAnswered",
    "QuestionNotFound",
    "ReceiptNotReady",
    "RequestClosed",
    "RequestNotFound",
    "ScoresMissing",
    "TenderChanged",
    "TenderNotFound",
    "WrongTenderState",
]

from http import HTTPStatus

from infra.errors import DomainError


class ProcurementError(DomainError):
    """Base of all procurement errors."""


class NoThresholdsForDate(ProcurementError):
    status_code = HTTPStatus.CONFLICT
    code = "no-thresholds-for-date"
    title = "The profile has no EU thresholds for this date"


class TenderNotFound(ProcurementError):
    status_code = HTTPStatus.NOT_FOUND
    code = "tender-not-found"
    title = "There is no such tender"


class DocumentNotFound(ProcurementError):
    status_code = HTTPStatus.NOT_FOUND
    code = "document-not-found"
    title = "There is no such document"


class InvalidTender(ProcurementError):
    """The content breaks a rule; ``problems`` lists each field with what is wrong."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-tender"
    title = "The tender is not valid"


class TenderChanged(ProcurementError):
    status_code = HTTPStatus.CONFLICT
    code = "tender-changed"
    title = "The tender has changed since you loaded it"


class WrongTenderState(ProcurementError):
    status_code = HTTPStatus.CONFLICT
    code = "wrong-tender-state"
    title = "Not possible in the tender's current state"


class PublicationRefused(ProcurementError):
    """A legal check refuses the publication; ``checks`` lists the failed ones."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "publication-refused"
    title = "The tender cannot be published like this"


class InvalidDocument(ProcurementError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-document"
    title = "The document cannot be taken"


class ClarificationClosed(ProcurementError):
    """No question any more: the tender is not open for questions, or the deadline for
    questions (else the submission deadline) has passed."""

    status_code = HTTPStatus.CONFLICT
    code = "clarification-closed"
    title = "Questions are no longer taken"


class QuestionNotFound(ProcurementError):
    status_code = HTTPStatus.NOT_FOUND
    code = "question-not-found"
    title = "There is no such question"


class QuestionAnswered(ProcurementError):
    status_code = HTTPStatus.CONFLICT
    code = "question-answered"
    title = "The question has been answered already"


class AmendmentRefused(ProcurementError):
    """The amendment would break a rule (``reason``: ``new-procedure``, ``no-change``,
    ``deadlines``; for ``deadlines``, ``checks`` lists the refusing checks)."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "amendment-refused"
    title = "The tender cannot be amended like this"


class BidNotFound(ProcurementError):
    status_code = HTTPStatus.NOT_FOUND
    code = "bid-not-found"
    title = "There is no such bid"


class BidChanged(ProcurementError):
    """The bid changed since the version the request names."""

    status_code = HTTPStatus.CONFLICT
    code = "bid-changed"
    title = "The bid has changed in the meantime"


class DeadlinePassed(ProcurementError):
    """Received at or after the submission deadline (``deadline`` and ``received_at`` say when)."""

    status_code = HTTPStatus.CONFLICT
    code = "deadline-passed"
    title = "The submission deadline has passed"


class InvalidBid(ProcurementError):
    """The bid breaks a rule; ``errors`` lists each field with what is wrong."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-bid"
    title = "The bid is not valid"


class EligibilityMissing(ProcurementError):
    """The company proves its suitability neither by a certificate nor by the documents the
    tender asks for; ``missing`` names what is lacking."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "eligibility-missing"
    title = "The proof of suitability is missing"


class BidsSealed(ProcurementError):
    """Bids are sealed until two officers have opened them."""

    status_code = HTTPStatus.CONFLICT
    code = "bids-sealed"
    title = "The bids are sealed until the opening"


class OpeningRefused(ProcurementError):
    """The opening cannot be started or confirmed now (``reason`` says why)."""

    status_code = HTTPStatus.CONFLICT
    code = "opening-refused"
    title = "The opening is not possible"


class ReceiptNotReady(ProcurementError):
    """The receipt PDF is being sealed (a job does it within seconds)."""

    status_code = HTTPStatus.CONFLICT
    code = "receipt-not-ready"
    title = "The receipt is not sealed yet"


class InvalidPrice(ProcurementError):
    """A price to be scored is not a positive, finite amount (``bid`` and ``price`` name it)."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-price"
    title = "The price cannot be scored"


class PointsOutOfScale(ProcurementError):
    """Points outside the criterion's scale of 0 to ``max_points`` (``points`` names them, and
    ``evaluator`` who gave them where known)."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "points-out-of-scale"
    title = "The points lie outside the scale"


class EvaluationRefused(ProcurementError):
    """Not possible in the evaluation's current state (``reason`` says why: ``not-opened``,
    ``not-started``, ``finished``, ``late-bid``, ``excluded``, ``undecided-bids``,
    ``no-admitted-bids``)."""

    status_code = HTTPStatus.CONFLICT
    code = "evaluation-refused"
    title = "Not possible in the evaluation's current state"


class DeclarationRequired(ProcurementError):
    """Bid content is shown to evaluators only after they declared that no conflict of
    interest exists (§ 6 VgV)."""

    status_code = HTTPStatus.FORBIDDEN
    code = "declaration-required"
    title = "Declare the absence of conflicts of interest first"


class ConflictOfInterest(ProcurementError):
    """The person declared a conflict of interest and takes no part in the evaluation."""

    status_code = HTTPStatus.FORBIDDEN
    code = "conflict-of-interest"
    title = "A conflict of interest was declared"


class InvalidScore(ProcurementError):
    """Points that cannot be taken (not a quality criterion of the tender, a lot the bid does
    not offer, more than two decimal places); ``errors`` lists each field."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-score"
    title = "The points cannot be taken"


class InvalidDecision(ProcurementError):
    """A decision on a bid lacks what it needs (``errors`` lists each field)."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-decision"
    title = "The decision cannot be taken like this"


class ScoresMissing(ProcurementError):
    """The ranking needs the points of at least one evaluator on every quality criterion for
    every admitted bid in every lot it offers; ``missing`` lists what is lacking."""

    status_code = HTTPStatus.CONFLICT
    code = "scores-missing"
    title = "Points are missing for the ranking"


class RequestNotFound(ProcurementError):
    status_code = HTTPStatus.NOT_FOUND
    code = "request-not-found"
    title = "There is no such request"


class RequestClosed(ProcurementError):
    """The request has been answered already, or its deadline has passed (``deadline``)."""

    status_code = HTTPStatus.CONFLICT
    code = "request-closed"
    title = "The request takes no answer any more"


class AwardRefused(ProcurementError):
    """Not possible in the award's current state (``reason`` says why: ``not-ranked``,
    ``no-proposal``, ``approved``, ``tie-unresolved``, ``register-query-missing``,
    ``register-entries``, ``standstill-running``, ``review-pending``, ``not-awarded`` …)."""

    status_code = HTTPStatus.CONFLICT
    code = "award-refused"
    title = "Not possible in the award's current state"


class FourEyesRequired(ProcurementError):
    """The award decision is approved by a second officer, never by the one who proposed it."""

    status_code = HTTPStatus.FORBIDDEN
    code = "four-eyes-required"
    title = "A second officer must approve the award"


class InvalidAward(ProcurementError):
    """An award step lacks what it needs (``errors`` lists each field)."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-award"
    title = "The award step cannot be taken like this"


class LetterNotFound(ProcurementError):
    status_code = HTTPStatus.NOT_FOUND
    code = "letter-not-found"
    title = "There is no such letter"
