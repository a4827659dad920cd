"""Contact imports: a customer file as people export it, read, checked row by row and upserted,
with a report of what came in and of every row refused and why."""
