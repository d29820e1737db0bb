"""The canonical register format: one row per (activity, recipient).

Columns (see ``data/register-template.csv``)::

    controller, controller_country, activity, purpose, legal_basis,
    special_condition, data_subjects, data_categories, retention,
    security_measures, recipient, recipient_role, engaged_by,
    recipient_country, processing_countries, mechanism, mechanism_date,
    tia, dpa, dpf_certified, evidence, source

and optionally ``recipient_sector`` (private / public / non_profit),
``occasional`` (marks an Art. 49 derogation as occasional), ``dpf_checked``
(date the DPF List was checked) and ``joint`` (joint controllership).

``engaged_by`` names the organisation that engages a sub-processor (empty: the
controller), so chains of any depth fit one sheet. Multi-value cells split on
``;`` or new lines. Column headings of the ICO and CNIL templates are accepted
as aliases. Row numbers in messages are spreadsheet rows (header = row 1).

The format lives in four modules, one concern each: ``register_columns`` (the columns, heading and value
aliases, small shared helpers), ``register_read`` (cells of a CSV/XLSX mapped to the columns),
``register_build`` (columns to a graph, every problem collected) and ``register_write`` (graph to rows
and files). This module is the entry point: import from here.
"""
from __future__ import annotations

from .register_build import HOP_COMPARED, UNKNOWN_COUNTRY, YES_NO, columns_to_graph
from .register_columns import (BLANK, COLUMN_ALIASES, COLUMNS, EMPTY_LIKE, NEGATIVE_TOLERATED, OPTIONAL_COLUMNS,
                               RECIPIENT_COLUMNS, REQUIRED_COLUMNS, ROLE_ALIASES, SECTOR_ALIASES, SPLIT, _key,
                               _norm_header, _parse_date, _split)
from .register_read import (_read_csv_fast, map_header, read_register, read_register_rows, rows_to_graph,
                            sheet_notes)
from .register_write import graph_to_rows, write_register

__all__ = ["BLANK", "COLUMN_ALIASES", "COLUMNS", "EMPTY_LIKE", "HOP_COMPARED", "NEGATIVE_TOLERATED",
           "OPTIONAL_COLUMNS", "RECIPIENT_COLUMNS", "REQUIRED_COLUMNS", "ROLE_ALIASES", "SECTOR_ALIASES", "SPLIT",
           "UNKNOWN_COUNTRY", "YES_NO", "_key", "_norm_header", "_parse_date", "_read_csv_fast", "_split",
           "columns_to_graph", "graph_to_rows", "map_header", "read_register", "read_register_rows",
           "rows_to_graph", "sheet_notes", "write_register"]
