"""Caseloads: the schema, reading and writing, column mapping and validation."""

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.caseload.io import (
    read_caseload,
    read_table,
    table_format,
    write_caseload,
    write_table,
)
from pbr_fairness.caseload.mapping import (
    apply_mapping,
    load_map_file,
    parse_map_options,
    suggest_mapping,
)
from pbr_fairness.caseload.validation import (
    coerce_caseload,
    schema_dtype,
    schema_markdown,
    validate_caseload,
)

__all__ = [
    "apply_mapping",
    "coerce_caseload",
    "load_map_file",
    "make_caseload",
    "parse_map_options",
    "read_caseload",
    "read_table",
    "schema_dtype",
    "schema_markdown",
    "suggest_mapping",
    "table_format",
    "validate_caseload",
    "write_caseload",
    "write_table",
]
