"""Pure: the files an import would write, each checked before anything is written.

In: a ``TerraformImport``. Out: the text of each zone's desired-state file, or a
``TerraformStateError`` naming the resource address of the first app that would not validate
(each app is checked alone first, so the refusal names the app, not a line of a file it never
saw), else the zone whose apps do not validate together (two on one port, say). ``validate``
therefore never refuses a file ``import-terraform`` wrote, as ``export`` promises for its own.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.desired.loading import desired_state_from_texts
from reconciler.errors import ConfigError, TerraformStateError
from reconciler.interop.tfimport.importing import ImportedZone, TerraformImport

_WHAT_TO_DO = "nothing was written; fix the resource in Terraform, or take the app over by hand"
Render = Callable[[ImportedZone, str], str]  # (zone, file name) -> the file's text


def checked_files(result: TerraformImport, render: Render) -> dict[str, str]:
    """File name -> text of every zone of ``result``, every app and file validated."""
    files = {}
    for zone in result.zones:
        for app in zone.apps:
            alone = ImportedZone(zone.zone_id, zone.name, (app,))
            problem = _problem(_rendered(render, alone, app.address), zone.file_name)
            if problem:
                raise TerraformStateError(
                    f"{app.address}: the app would not validate ({problem}); {_WHAT_TO_DO}"
                )
        text = _rendered(render, zone, f"zone {zone.name or zone.zone_id}")
        problem = _problem(text, zone.file_name)
        if problem:
            raise TerraformStateError(
                f"zone {zone.name or zone.zone_id}: its apps would not validate together "
                f"({problem}); {_WHAT_TO_DO}"
            )
        files[zone.file_name] = text
    return files


def _rendered(render: Render, zone: ImportedZone, where: str) -> str:
    """The file's text; a value it cannot be written from is refused, located at ``where``."""
    try:
        return render(zone, zone.file_name)
    except Exception as error:  # a value of a shape no provider writes (origin_direct: true)
        raise TerraformStateError(
            f"{where}: a value of an unexpected shape ({type(error).__name__}: {error}); "
            f"{_WHAT_TO_DO}"
        ) from None


def _problem(text: str, name: str) -> str | None:
    try:
        desired_state_from_texts([(name, text.encode())])
    except ConfigError as error:
        return str(error.problems[0].message) if error.problems else str(error)
    return None
