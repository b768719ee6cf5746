"""The built-in question bank (``data/``), the statutes it rests on (``laws/``) and their loaders."""
