"""The web process: Dash pages, the REST API and the health endpoint. Never imports Keras."""
