"""Desired state: the YAML files in, checked, as immutable values.

Owns reading files into located documents (``loading``, ``yaml_builder``, ``document``), the
JSON Schema (``validate``, ``fast_schema``, ``schema_problems``), the semantic rules
(``rules/``), port ranges, zone names, the zones' declared policies (``policy``) and the one
glob matcher of ``ignore`` and ``protect`` (``patterns``).

May import: the ground floor (``model``, ``errors``, ``wording``, ``files``, ``logs``). Pure: no
network, nothing of the stages above.
"""
