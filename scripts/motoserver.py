"""moto's server with requests processed one at a time.

moto's TransactWriteItems snapshots the table with a deep copy, which races with concurrent requests
in moto_server's threaded mode ("dictionary changed size during iteration"). Connections are still
accepted concurrently, but each request is processed under one lock, so every transaction is atomic,
as DynamoDB's are.
Usage: python scripts/motoserver.py PORT (not moto.py: that shadows the package).
"""
import sys
import threading


from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


inner = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def app(environ, start_response):
    with lock:
        return list(inner(environ, start_response))


port = int(sys.argv[1])
run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)
