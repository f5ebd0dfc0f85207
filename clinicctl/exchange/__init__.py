"""Files to and from other systems: CSV export and import (all rows or none)."""
