"""The tamper-evident audit trail: a hash-chained table of who did what to which object, when.

Services call :func:`infra.audit.service.record` in the transaction of the change (or the
sensitive read) they audit; ``vergabe audit verify`` walks the chain and names the first broken
link. The hash format and what a chain alone cannot detect are documented in
:mod:`infra.audit.service`.
"""
