"""Procurement: tenders and lots, publication, bids, opening, evaluation, award, contracts."""
