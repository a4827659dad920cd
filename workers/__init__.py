"""RQ jobs and the worker entry point. Jobs take ids, open their own app context, and let
failures raise so RQ records them."""
