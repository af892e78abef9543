"""Every domain's route handlers, in one list (each domain owns its ``controllers`` module)."""

from __future__ import annotations

import importlib
from typing import Any

# A domain adds the dotted path of its controllers module here; the module exposes ROUTES.
CONTROLLER_MODULES: tuple[str, ...] = (
    "renshe.web.pages",
    "renshe.web.health",
    "renshe.accounts.controllers",
    "renshe.accounts.api",
    "renshe.api.controllers",
    "renshe.audit.controllers",
    "renshe.jobs.controllers",
    "renshe.registry.api",
    "renshe.registry.pages_people",
    "renshe.registry.pages_person_edit",
    "renshe.registry.pages_enterprises",
    "renshe.registry.pages_imports",
    "renshe.subsidies.programs.api",
    "renshe.subsidies.applications.api",
    "renshe.subsidies.applications.public",
    "renshe.subsidies.applications.pages",
    "renshe.subsidies.applications.pages_review",
    "renshe.disbursement.api",
    "renshe.disbursement.pages",
    "renshe.dashboard.pages",
    "renshe.talent.api",
    "renshe.talent.verify_pages",
    "renshe.talent.pages",
    "renshe.talent.pages_review",
    "renshe.talent.pages_cards",
    "renshe.alerts.api",
    "renshe.hkmo.api",
    "renshe.hkmo.api_grants",
    "renshe.hkmo.api_targets",
    "renshe.hkmo.pages",
    "renshe.hkmo.pages_new",
    "renshe.hkmo.pages_grants",
    "renshe.hkmo.pages_grant_new",
    "renshe.hkmo.pages_milestones",
    "renshe.hkmo.pages_targets",
    "renshe.supervision.pages",
    "renshe.rollups.api",
    "renshe.rollups.pages",
    "renshe.rollups.pages_reports",
)


def route_handlers() -> list[Any]:
    handlers: list[Any] = []
    for name in CONTROLLER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a domain not written yet
                continue
            raise
        handlers.extend(module.ROUTES)
    return handlers
