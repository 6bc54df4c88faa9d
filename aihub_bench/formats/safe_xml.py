"""Parsing an XML file through defusedxml, every failure a ``BadInputError`` naming the file.

The one place the readers (Pascal VOC, CVAT, CCTV) parse XML: entity expansion and external
references are always refused (``unsafe_xml``), DTDs too unless ``forbid_dtd=False``; the other kinds
are the reader's own, so each keeps the names its bad-input table documents.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from aihub_bench.errors import BadInputError


def parse_xml_root(
    path: str | Path,
    *,
    refusal: str = "",
    forbid_dtd: bool = True,
    missing_kind: str = "missing_file",
    unreadable_kind: str = "unreadable_file",
    malformed_kind: str = "malformed_xml",
) -> Element:
    """The root element of ``path``. ``refusal`` is appended to the unsafe-XML message (why such a
    file never needs a DTD or entities); the ``*_kind`` arguments name the error kinds."""
    path = Path(path)
    try:
        return SafeET.parse(path, forbid_dtd=forbid_dtd).getroot()
    except FileNotFoundError as err:
        raise BadInputError(path, "annotation file not found", missing_kind) from err
    except OSError as err:
        raise BadInputError(path, f"cannot read the file: {err.strerror or err}", unreadable_kind) from err
    except DefusedXmlException as err:
        reason = f"refused unsafe XML ({type(err).__name__})" + (f": {refusal}" if refusal else "")
        raise BadInputError(path, reason, "unsafe_xml") from err
    except ET.ParseError as err:
        raise BadInputError(path, f"malformed XML: {err}", malformed_kind) from err
