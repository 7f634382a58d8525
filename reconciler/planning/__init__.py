"""Planning: (desired, live) -> Plan, pure.

Owns normalization (one field table for both sides, one canonical spelling per value),
unknown live fields, the diff (the only user of deepdiff), the planner with its ordering and
replace decisions, staleness of a saved plan, and the collector pause around planning.

May import: the ground floor and ``desired``.
"""
