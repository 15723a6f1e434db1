"""Library of the code generator (scripts/codegen.py): page parser, OpenAPI reader, emitters."""
