"""WSGI entry point: ``gunicorn wsgi:server``."""

from dashboard.app import create_app

app = create_app()
server = app.server
