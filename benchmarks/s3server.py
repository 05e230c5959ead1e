"""A real S3 API on loopback for the tests and the benchmarks: moto's server, with latency.

moto answers at once, which no object store does, so :class:`S3Server` wraps moto's WSGI
application in a middleware that sleeps :attr:`S3Server.latency` seconds before each request
(20 ms by default: a GET to S3 from the same region) and counts the requests by method. It
serves on ``127.0.0.1`` on a free port, in a thread of the calling process; nothing reaches
any other address.

Examples
--------
>>> with S3Server(latency=0.0) as server:
...     bucket = server.make_bucket("demo")
...     import s3fs
...     fs = s3fs.S3FileSystem(**server.storage_options())
...     _ = fs.pipe("demo/a.txt", b"hi")
...     fs.cat("demo/a.txt"), server.counts["PUT"] >= 1
(b'hi', True)
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

DEFAULT_LATENCY = 0.020
"""Seconds before the first byte of each request (a GET to S3 within a region)."""

_Env = dict[str, str]
_WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class S3Server:
    """moto's S3 server on ``127.0.0.1`` (a free port), each request delayed by ``latency``.

    ``counts`` holds the requests served by HTTP method since the last :meth:`reset`;
    ``latency`` may be changed while it runs.
    """

    def __init__(self, latency: float = DEFAULT_LATENCY) -> None:
        self.latency = latency
        self.counts: collections.Counter[str] = collections.Counter()
        self.ranged = 0
        """GETs with a ``Range`` header (partial reads: shard indexes and inner chunks)."""
        self.log: list[tuple[str, str]] = []
        """(method, path) of each request since the last :meth:`reset`."""
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # the WSGI middleware
    def _wrap(self, app: _WSGIApp) -> _WSGIApp:
        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]):
            with self._lock:
                self.counts[environ.get("REQUEST_METHOD", "?")] += 1
                self.log.append((environ.get("REQUEST_METHOD", "?"), environ.get("PATH_INFO", "")))
                if environ.get("HTTP_RANGE"):
                    self.ranged += 1
            if self.latency > 0:
                time.sleep(self.latency)
            return app(environ, start_response)

        return middleware

    def start(self) -> S3Server:
        from moto.server import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log(self, *args: object) -> None:  # no line per request on stderr
                pass

        app = self._wrap(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """The server's URL, ``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget the requests counted so far."""
        with self._lock:
            self.counts.clear()
            self.log.clear()
            self.ranged = 0

    @property
    def requests(self) -> int:
        """Requests served since the last :meth:`reset`."""
        return sum(self.counts.values())

    def env(self) -> _Env:
        """The standard AWS variables that point any S3 client at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def storage_options(self) -> dict[str, Any]:
        """s3fs options for this server, for code that does not read the environment."""
        return {
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": self.endpoint, "region_name": "us-east-1"},
        }

    def make_bucket(self, name: str) -> str:
        """Create bucket ``name`` (if it is not there) and return ``s3://name``."""
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        try:
            client.create_bucket(Bucket=name)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        return f"s3://{name}"

    @contextmanager
    def environment(self) -> Iterator[_Env]:
        """Set :meth:`env` in ``os.environ`` for the block (restoring what was there)."""
        env = self.env()
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
