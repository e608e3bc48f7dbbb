"""Evaluation and award: scoring the bids of a lot, ranking them, flagging abnormally low prices,
and the standstill period of § 134 GWB before the contract may be concluded.

Modules: :mod:`~procurement.award.scoring` and :mod:`~procurement.award.standstill` (pure
rules); :mod:`~procurement.award.evaluation` (start, checks stored, what is shown),
:mod:`~procurement.award.checks` (formal and eligibility checks of a bid),
:mod:`~procurement.award.decisions` (admission, exclusion),
:mod:`~procurement.award.conflicts` (declarations on conflicts of interest, the gate in front
of bid content), :mod:`~procurement.award.scores` (each evaluator's points),
:mod:`~procurement.award.ranking` (the ranking per lot), :mod:`~procurement.award.requests`
(requests to bidders, §§ 56, 60 VgV, answered in words and with documents);
:mod:`~procurement.award.proposals` (the award proposed by one officer, the competition register
queried, approved by a second), :mod:`~procurement.award.register` (the register adapters,
§ 6 WRegG), :mod:`~procurement.award.letters` with
:mod:`~procurement.award.letter_document` (the sealed § 134 GWB letters and the start of the
standstill), :mod:`~procurement.award.conclusion` (the end of the standstill, review
applications), :mod:`~procurement.award.contracts` (contracts, completion, the award data for
publication), :mod:`~procurement.award.award_views` (what the authority and the bidder see);
the API in :mod:`~procurement.award.controllers` and
:mod:`~procurement.award.controllers_award`, the pages in ``pages*.py``; the tables in
:mod:`~procurement.award.models` (migrations 0012 and 0013).

The tender's way through them: ``opened → in_evaluation`` (start) → ranking → proposal →
register query where the value requires it → approval by a second officer
(``→ award_proposed``; the bids not awarded any lot become ``unsuccessful``) → the letters job
(dispatch, the standstill computed from it) → the end-of-standstill job (held while a review
application is pending) → a contract per awarded lot (``→ awarded``; the winning bids
``awarded``) → completion (``→ completed``).
"""
