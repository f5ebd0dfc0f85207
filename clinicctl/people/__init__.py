"""Staff, clients, the practice, database logins, and how a reference names one of them.

Services here and in the other domain packages are plain functions taking a Session: no typer,
no rich, no print. They return plain results or raise a ``ClinicError``.
"""
