"""Bids: submission, receipts, sealed storage until the two-person opening, opening minutes."""
