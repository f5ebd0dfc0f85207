"""Chart notes and clinical documents, and every path that opens them to another provider:
demographics-only and chart shares, batch sharing, caseload handover."""
