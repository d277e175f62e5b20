"""Shared fixtures: factories for the organisation tree, staff with roles, and applicants."""

from __future__ import annotations
