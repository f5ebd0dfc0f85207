"""``clinicctl group``: named client groups."""
