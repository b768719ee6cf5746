"""The question bank: queries, versions, .xlsx in and out, and the bank pages."""
