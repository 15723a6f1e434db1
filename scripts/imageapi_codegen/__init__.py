"""The imageapi code generator's library (not shipped with the package).

Stage 1 turns API reference pages (``docs``) into the normalized schema (``normalize``);
stage 2 emitters turn the schema into code; ``output`` renders and writes files atomically.
See ``docs/codegen.md`` for the schema format.
"""
