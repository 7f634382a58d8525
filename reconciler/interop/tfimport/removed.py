"""Pure: a ``TerraformImport`` and the names of the files written -> the text of ``removed.tf``.

One ``removed`` block per resource (Terraform refuses instance keys there), each preceded by the
instance addresses it covers, with ``destroy = false`` so that terraform apply forgets the apps
without destroying them. Needs Terraform >= 1.7.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.interop.tfimport.importing import TerraformImport


def removed_blocks(result: TerraformImport, files: Sequence[str]) -> str:
    """``removed.tf``: one block per resource, so terraform apply forgets without destroying."""
    lines = [
        "# Written by spectrum-reconciler import-terraform. These Spectrum apps are now managed",
        f"# in {', '.join(files)}. Needs Terraform >= 1.7. Delete the resource blocks named",
        "# below from your configuration, keep this file beside it, then terraform plan shows",
        '# each instance as "will no longer be managed by Terraform" and terraform apply',
        "# forgets it without destroying it. A removed block names a resource, never one",
        "# instance (Terraform refuses instance keys there), so each covers the instances",
        "# listed above it.",
    ]
    for resource, instances in result.removed:
        lines += ["", *(f"# {address}" for address in instances)]
        lines += [
            "removed {",
            f"  from = {resource}",
            "",
            "  lifecycle {",
            "    destroy = false",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"
