"""Outgoing mail: written in the transaction of the change that causes it, sent by a job."""
