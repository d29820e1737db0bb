"""Drafting a RoPA from privacy notices and sub-processor lists (EN/NL/DE).

Pure, deterministic and offline: rules, vocabularies and the vendor gazetteer
are data files in ``data/extract/``. ``extract(data, name)`` returns a
:class:`Draft`; :mod:`.output` turns it into the ``ropa extract`` JSON, a flat
CSV or canonical register rows.
"""
from .extractor import Activity, Draft, Recipient, detect_language, extract, extract_text
from .output import apply_review, recipient_rows, register_rows, to_json, write_csv, draft_register_csv

__all__ = ["Activity", "Draft", "Recipient", "apply_review", "detect_language", "extract", "extract_text", "recipient_rows",
           "register_rows", "to_json", "write_csv", "draft_register_csv"]
