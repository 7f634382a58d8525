"""Applying: a checked plan -> writes, journalled, with nothing ever lost.

Owns the executor (the only writer to the API), its journal, and ``workflow``: the steps every
command strings together (load -> plan with its checks -> guard -> run).

May import: the ground floor, ``desired``, ``planning``, ``checks`` and ``live``.
"""
