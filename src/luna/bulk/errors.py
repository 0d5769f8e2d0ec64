class BulkImportError(Exception):
    """An import that stopped: the message names the file and, for a bad row, its line."""


class RowError(ValueError):
    """A value in a row that breaks a rule; the caller adds the file name and line number."""
