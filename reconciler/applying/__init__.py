"""Applying: a checked plan -> writes, journalled, with nothing ever lost.

Owns the executor (the order and parallel runs of an apply), ``steps`` (the writes of each
action and their undo: the only writer to the API), ``report`` (what an apply did), the journal,
and ``workflow``: the stages every command strings together (load -> plan with its checks ->
guard -> run); ``verifying``: after the writes, the reads and the wait behind ``verify``.

May import: the ground floor, ``desired``, ``planning``, ``checks`` and ``live``.
"""
