"""Evaluation and award: scoring the bids of a lot, ranking them, flagging abnormally low prices,
and the standstill period of § 134 GWB before the contract may be concluded."""
