"""WSGI entry point: ``gunicorn wsgi:server``; with REDIS_URL set, ``celery -A wsgi:celery_app worker -Q train``."""

from dashboard.app import create_app

app = create_app()
server = app.server
celery_app = server.extensions["scresponse_celery"]  # None without REDIS_URL
