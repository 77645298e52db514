"""A run: session, engine, confirmations, events, the journal and the lock."""
