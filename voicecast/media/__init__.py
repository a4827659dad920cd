"""Seller recordings inside the application: uploads, links, signed URLs for the carrier."""
