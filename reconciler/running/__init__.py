"""Running continuously: the ``reconcile`` loop, one cycle's result, metrics and notifications.

A cycle computes a result value (``cycle``); metrics and notifications are derived from it.

May import: every stage below it (``desired`` to ``applying``) and ``render``.
"""
