"""One module per chapter figure; see fm_helpers.figures.base for the shared machinery."""
