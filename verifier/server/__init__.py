"""The service assembled: the app with its faces (the API, the public pages, the console), its background work."""
