"""The data file of `load-data` / `export-data` (SPEC §9.1; documented in docs/data-format.md).

`schema` defines the file's sections and fields, `export` reads the data set into the file,
`validation` (with `records`, `doc_checks`) checks a whole file into a `plan`, and `load`
writes that plan in the caller's transaction.
"""

from webapp.services.datafile.export import dump_data, export_data
from webapp.services.datafile.load import load_data
from webapp.services.datafile.schema import TABLES
from webapp.services.datafile.validation import DataFileInvalid, parse_data_file

__all__ = ["DataFileInvalid", "TABLES", "dump_data", "export_data", "load_data", "parse_data_file"]
