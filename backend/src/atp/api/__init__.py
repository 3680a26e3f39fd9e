"""REST API: app factory and thin routers over the area services."""
