"""REST API: one router per app, token authentication, the same roles and services as the pages."""
