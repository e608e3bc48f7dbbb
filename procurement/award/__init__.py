"""Evaluation and award: scoring the bids of a lot, ranking them, flagging abnormally low prices,
and the standstill period of § 134 GWB before the contract may be concluded.

Modules: :mod:`~procurement.award.scoring` and :mod:`~procurement.award.standstill` (pure
rules); :mod:`~procurement.award.evaluation` (start, checks stored, what is shown),
:mod:`~procurement.award.checks` (formal and eligibility checks of a bid),
:mod:`~procurement.award.decisions` (admission, exclusion),
:mod:`~procurement.award.conflicts` (declarations on conflicts of interest, the gate in front
of bid content), :mod:`~procurement.award.scores` (each evaluator's points),
:mod:`~procurement.award.ranking` (the ranking per lot), :mod:`~procurement.award.requests`
(requests to bidders, §§ 56, 60 VgV), :mod:`~procurement.award.controllers` (the API),
:mod:`~procurement.award.models` (migration 0012).

Issue 8, state of the work (part 1: the evaluation backend):

Done:
- Start of the evaluation (``opened → in_evaluation``), formal and eligibility checks per bid
  stored (received in time, complete, signed as required, eligibility asked of the
  pre-qualification register for the submission deadline, else by the evidence documents),
  recomputed on request for undecided bids.
- Admission (a late bid never; a bid with findings only with a note) and exclusion with ground
  and recorded reason; each decision audited; a change drops the ranking.
- Declarations on conflicts of interest (none / a conflict, which cannot be withdrawn) before
  any bid content is shown or scored: through the evaluation API, and on the bids module's own
  read path (an evaluator always, an officer once the evaluation has begun;
  :func:`~procurement.award.conflicts.require_declaration_to_read`).
- Quality points per evaluator, bid, lot and criterion, independent (each sees only their own);
  price points by the criterion's formula; consolidation (mean, conflicted evaluators left
  out); ranking per lot with the profile's tie rule (seed recorded for ``lot``); abnormally low
  prices flagged (profile threshold).
- Requests to bidders (missing documents § 56 VgV, price explanation § 60 VgV) with a
  deadline, a mail to the company, a text answer on the platform sealed with the tender's key.
- Bad input: scoring before the declaration (403), points outside the scale (422), another
  authority (404), before the opening (409) — nothing stored.

Not done yet:
- Documents attached to an answer to a request (the answer is text only); the officer reads
  the answer and decides.
- Bid states ``ranked``/``awarded``/``unsuccessful``, the award proposal, the § 134 GWB notices
  and the standstill, the competition register query (§ 6 WRegG), and the pages.
"""
