"""Benchmarks of the reconciler against the built-in emulator: where time and requests go.

``python -m bench`` runs every row at full size and prints one table (median and min-max of
several runs, with the machine and the date); ``python -m bench --quick`` is the small smoke run
CI executes: it checks nothing about timing, but exits non-zero when a benchmark crashes.
See docs/benchmarks.md for what each row measures and the goal it is held to.
"""
