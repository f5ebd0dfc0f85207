"""The rules of the practice: plain functions taking a Session.

No typer, no rich, no print: services return plain results or raise a ``ClinicError``.
"""
