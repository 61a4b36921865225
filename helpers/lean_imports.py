"""Imported first: by the command line (helpers/cli.py) and by pytest (``-p helpers.lean_imports`` in
pyproject.toml, ahead of nbval, which imports nbformat). nbformat validates notebooks with jsonschema, whose import
compiles the 38 grammars of rfc3987_syntax, a second of CPU, to check an "iri" string format that no notebook
schema uses; without the module, jsonschema leaves that format unchecked."""
import sys

sys.modules.setdefault("rfc3987_syntax", None)
