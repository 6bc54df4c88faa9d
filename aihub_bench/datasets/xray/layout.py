"""Where things live in the real X-ray release and how its names map to clean class names.

Image tree (FORMATS.md §8, [C]): ``<root>/<Maker>/<ClassFolder>/<Subset>/<name>.png``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAKERS: tuple[str, ...] = ("Astrophysics", "Rapiscan", "Smith")
SUBSETS: tuple[str, ...] = ("Single_Default", "Single_Other", "Multiple_Categories", "Multiple_Other")

# Class folder names exactly as shipped, typos included.
CLASS_FOLDERS: tuple[str, ...] = (
    "Aerosol", "Alcohol", "Awl", "Axe", "Bat", "Battery", "Bullet", "Chisel",
    "Electronic cigarettes", "Electronic cigarettes(Liquid)", "Firecracker", "Gun", "GunParts",
    "Hammer", "HandCuffs", "HDD", "HDD_External", "Knife", "Laptop", "Lighter", "Liquid", "Match",
    "MetalPipe", "NailClippers", "Plier", "PrtableGas", "Saw", "Scissors", "Screwdriver",
    "SmartPhone", "SolidFuel", "Spanner", "SSD", "SupplymentaryBattery", "TabletPC", "Thinner",
    "Throwing Knife", "USB", "ZippoOil",
)  # fmt: skip

# Shipped spelling -> clean name; every other shipped name is already clean.
_TYPOS = {
    "LapTop": "Laptop",
    "PrtableGas": "PortableGas",
    "SupplymentaryBattery": "SupplementaryBattery",
}


def _key(name: str) -> str:
    # Case, whitespace, '_' and '-' differences never distinguish two classes in this release.
    return re.sub(r"[\s_\-]+", "", name).lower()


XRAY_CLASSES: tuple[str, ...] = tuple(_TYPOS.get(f, f) for f in CLASS_FOLDERS)
_LOOKUP: dict[str, str] = {_key(n): n for n in XRAY_CLASSES}
_LOOKUP.update({_key(raw): clean for raw, clean in _TYPOS.items()})
_MAKER_LOOKUP = {m.lower(): m for m in MAKERS}
_SUBSET_LOOKUP = {s.lower(): s for s in SUBSETS}


def lookup_class(raw: str) -> str | None:
    """Clean class name for a shipped (or already clean) name; ``None`` if it is not an X-ray class."""
    return _LOOKUP.get(_key(raw))


def clean_class_name(raw: str) -> str:
    """Map shipped spellings (``LapTop``, ``PrtableGas``...) to clean names; unknown names unchanged."""
    return lookup_class(raw) or raw


def lookup_maker(raw: str) -> str | None:
    return _MAKER_LOOKUP.get(raw.strip().lower())


def lookup_subset(raw: str) -> str | None:
    return _SUBSET_LOOKUP.get(raw.strip().lower())


@dataclass(frozen=True)
class ImageLocation:
    """An image's place in the tree; ``class_folder`` keeps the on-disk spelling."""

    maker: str
    class_folder: str
    subset: str
    file_name: str

    @property
    def relative(self) -> str:
        return f"{self.maker}/{self.class_folder}/{self.subset}/{self.file_name}"


def parse_image_path(path: str) -> ImageLocation | None:
    """Read maker/class/subset/file from the tail of a (Windows) path; ``None`` if it does not fit.

    ``D:\\view\\Astrophysics\\Aerosol\\Single_Default\\x.png`` -> Astrophysics, Aerosol,
    Single_Default, x.png. The drive and leading folders are ignored: they are the annotators' disk.
    """
    parts = [p for p in re.split(r"[\\/]+", path.strip()) if p]
    if len(parts) < 4:
        return None
    maker, subset = lookup_maker(parts[-4]), lookup_subset(parts[-2])
    if maker is None or subset is None:
        return None
    return ImageLocation(maker, parts[-3], subset, parts[-1])


def windows_path(loc: ImageLocation, drive_root: str = "D:\\view") -> str:
    """The ``path`` value the real annotation files carry for an image."""
    return "\\".join((drive_root, loc.maker, loc.class_folder, loc.subset, loc.file_name))
