"""HTTP endpoints for programs: health now, the REST API and live stream later."""
