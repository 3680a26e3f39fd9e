"""Request and response models of the REST API, one module per area (see `common` for the
shared conventions: Decimals as strings, refusals as 422 with a clear message)."""
