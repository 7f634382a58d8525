"""Interop: the tool's files and views beside the pipeline.

Owns ``export`` (live apps -> YAML), ``import-terraform`` (``tfimport``), the offline ``review``
of two git revisions (``diff``), and the ``addresses`` report.

May import: every stage from ``desired`` to ``applying``, and ``render``.
"""
