"""Database plumbing: metadata, types, engine/session factories, upsert helper, revision guard."""
