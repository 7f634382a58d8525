"""Pure: Terraform state (Cloudflare provider v4 or v5) -> desired-state documents, removed blocks.

In: the parsed JSON of ``terraform show -json`` (``values.root_module`` and its child modules) or
of a raw ``.tfstate`` (format version 4). Out: a ``TerraformImport`` — per zone the apps in the
API's own field names (``export`` turns them into the desired-state file), the ``removed`` blocks
that make Terraform forget the apps without destroying them, and notes on anything not carried
over, each with the resource address Terraform prints.

How the provider spells an app in state is its own schema (see docs/terraform.md): v4 (SDKv2)
keeps blocks as single-item lists, v5 (Plugin Framework) as objects.

The package, from the file up: ``state`` reads either state format into resource instances and
refuses a malformed one; ``v4`` and ``v5`` read one app in each provider's spelling, on the
``fields`` both share; ``app`` decodes one instance (and refuses unknown schema versions, deposed
objects and values hidden as sensitive); ``importing`` groups the apps by zone into the
``TerraformImport``; ``checking`` validates each app and each zone's file before anything is
written; ``removed`` writes ``removed.tf``. Every name is importable from here.
"""

from __future__ import annotations

from reconciler.interop.tfimport.app import KNOWN_SCHEMA_VERSIONS, Note, decode_instance
from reconciler.interop.tfimport.checking import checked_files
from reconciler.interop.tfimport.importing import (
    SPECTRUM,
    ImportedApp,
    ImportedZone,
    TerraformImport,
    import_state,
    zone_names,
)
from reconciler.interop.tfimport.removed import removed_blocks
from reconciler.interop.tfimport.state import Instance, instance_key, state_instances, strip_keys

__all__ = [
    "KNOWN_SCHEMA_VERSIONS",
    "SPECTRUM",
    "ImportedApp",
    "ImportedZone",
    "Instance",
    "Note",
    "TerraformImport",
    "checked_files",
    "decode_instance",
    "import_state",
    "instance_key",
    "removed_blocks",
    "state_instances",
    "strip_keys",
    "zone_names",
]
