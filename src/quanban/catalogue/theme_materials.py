"""一业一证: the combined material list of a theme's bundled items, duplicates merged.

Two materials are one when they cite the same retained proof (保留证明事项), or else when their
names are the same once normalised (NFKC, white space removed). The merged material is as strict
as the strictest of them and says which items ask for it (docs/catalogue.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from quanban.catalogue import codes
from quanban.catalogue.models import ItemVersion, Material, RetainedProof

# Strictest first: a material one item requires stays required in the bundle.
_NECESSITY_ORDER = (codes.Necessity.REQUIRED, codes.Necessity.DEFERRABLE, codes.Necessity.OPTIONAL)


def material_key(material: Material) -> str:
    """What makes two materials one: the same retained proof, else the same normalised name."""
    if material.retained_proof_id is not None:
        return f"proof:{material.retained_proof_id}"
    name = unicodedata.normalize("NFKC", material.name)
    return "name:" + re.sub(r"\s+", "", name)


@dataclass
class MergedMaterial:
    """One material of the theme's list and the bundled materials it stands for."""

    name: str
    form: str
    original_count: int
    copy_count: int
    necessity: str
    is_core: bool
    source: str
    source_ref: str
    legal_basis: str
    is_proof: bool
    retained_proof: RetainedProof | None
    situational: bool
    notes: str
    # (item name, material) of every bundled material merged here, in the theme's order.
    sources: list[tuple[str, Material]] = field(default_factory=list)

    @property
    def item_names(self) -> list[str]:
        return list(dict.fromkeys(name for name, _material in self.sources))


def _merge_into(merged: MergedMaterial, item_name: str, material: Material) -> None:
    merged.sources.append((item_name, material))
    merged.necessity = min(
        (merged.necessity, material.necessity), key=lambda n: _NECESSITY_ORDER.index(n)
    )
    merged.is_core = merged.is_core or material.is_core
    merged.original_count = max(merged.original_count, material.original_count)
    merged.copy_count = max(merged.copy_count, material.copy_count)
    merged.situational = merged.situational and material.situational
    merged.is_proof = merged.is_proof or material.is_proof
    if not merged.legal_basis and material.legal_basis:
        merged.legal_basis = material.legal_basis


def theme_materials(versions: Sequence[ItemVersion]) -> list[MergedMaterial]:
    """The bundled versions' materials, duplicates merged, in the order they first appear."""
    by_key: dict[str, MergedMaterial] = {}
    for version in versions:
        for material in sorted(version.materials.all(), key=lambda m: m.seq):
            key = material_key(material)
            merged = by_key.get(key)
            if merged is None:
                by_key[key] = MergedMaterial(
                    name=material.name,
                    form=material.form,
                    original_count=material.original_count,
                    copy_count=material.copy_count,
                    necessity=material.necessity,
                    is_core=material.is_core,
                    source=material.source,
                    source_ref=material.source_ref,
                    legal_basis=material.legal_basis,
                    is_proof=material.is_proof,
                    retained_proof=material.retained_proof,
                    situational=material.situational,
                    notes=material.notes,
                    sources=[(version.name, material)],
                )
            else:
                _merge_into(merged, version.name, material)
    merged_list = list(by_key.values())
    for merged in merged_list:
        # 容缺 never applies to a core material (the publish-time rule core_material_deferrable).
        if merged.is_core and merged.necessity == codes.Necessity.DEFERRABLE:
            merged.necessity = codes.Necessity.REQUIRED
    return merged_list
