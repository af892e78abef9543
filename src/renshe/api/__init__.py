"""JSON API conventions (under ``/api/v1``): problem+json errors, cursor pagination, OpenAPI."""
