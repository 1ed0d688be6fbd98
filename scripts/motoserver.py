"""moto's server with requests processed one at a time.

moto's TransactWriteItems snapshots the table with a deep copy, which races with concurrent requests
in moto_server's threaded mode ("dictionary changed size during iteration"). Connections are still
accepted concurrently, but each request is processed under one lock, so every transaction is atomic,
as DynamoDB's are.

moto's TransactWriteItems also deep-copies the whole table once per item of the transaction (its
rollback snapshot), so a transaction's time grows with the table: 25-40 ms for a submit's eight items
on a table of a few hundred, minutes for a test that seeds ten thousand. DynamoDB's does not. The
patch below keeps moto's logic and its all-or-nothing result but snapshots only the items the
transaction names (and the length of the table's stream), and puts those back when it is cancelled.
Usage: python scripts/motoserver.py PORT (not moto.py: that shadows the package).
"""
import copy
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table


class _TableCopies:
    """Stands for the `copy` module inside moto's DynamoDB backend: while `by_reference` is set, a
    table "copied" for the rollback snapshot is the table itself (the patch keeps its own snapshot)."""

    by_reference = False

    def deepcopy(self, value, memo=None):
        if self.by_reference and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


_copies = _TableCopies()
dynamodb_models.copy = _copies
_transact_write_items = DynamoDBBackend.transact_write_items


def _snapshot(backend, transact_items):
    """The items a transaction names, as they are now (None: absent), and each table's stream length."""
    items, streams = [], {}
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op["Item"] if "Item" in op else op["Key"]
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        current = table.get_item(hash_key, range_key)
        items.append((table, hash_key, range_key, copy.deepcopy(current)))
        if table.stream_shard is not None:
            streams[id(table)] = (table.stream_shard, len(table.stream_shard.items))
    return items, streams


def _restore(items, streams):
    for table, hash_key, range_key, item in reversed(items):
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item
    for shard, length in streams.values():
        del shard.items[length:]


def transact_write_items(self, transact_items):
    try:
        items, streams = _snapshot(self, transact_items)
    except Exception:  # a malformed request: moto's own code answers it, with its whole-table copy
        return _transact_write_items(self, transact_items)
    _copies.by_reference = True
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        _restore(items, streams)
        raise
    finally:
        _copies.by_reference = False


DynamoDBBackend.transact_write_items = transact_write_items


from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


inner = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def app(environ, start_response):
    with lock:
        return list(inner(environ, start_response))


port = int(sys.argv[1])
run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)
