"""The web edge shared by the REST API and the pages: request context, authentication, error rendering."""
