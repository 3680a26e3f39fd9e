"""Orders: intents recorded before any request, and the exchange order mirror."""
