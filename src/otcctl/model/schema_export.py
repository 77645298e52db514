"""JSON Schemas of runbooks and the inventory, for editors (yaml-language-server) and CI.

The committed files under ``schema/`` are these outputs; a test keeps them equal.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from otcctl.model.inventory import Inventory
from otcctl.model.schema import Runbook


def schema_dict(what: Literal["runbook", "inventory"] | str) -> dict[str, Any]:
    """The schema as a dict."""
    model = Runbook if what == "runbook" else Inventory
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "otcctl runbook" if what == "runbook" else "otcctl inventory"
    return schema


def schema_json(what: Literal["runbook", "inventory"] | str) -> str:
    """The schema as stable, readable JSON text."""
    return json.dumps(schema_dict(what), ensure_ascii=False, indent=2, sort_keys=True)
