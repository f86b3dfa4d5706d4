"""The baseline for the intake benchmark: a Flask endpoint that reads the body and answers 202,
served by the same gunicorn settings as the real app. What intake costs is the difference."""
from flask import Flask, jsonify, request


def create_bare_app() -> Flask:
    app = Flask(__name__)

    @app.post("/webhooks/jira")
    def receive():
        request.get_data(cache=False)
        return jsonify(status="queued", delivery="-"), 202

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
