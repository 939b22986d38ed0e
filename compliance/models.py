"""Approved projects and every obligation after approval: agreements, shipments, reports."""
