"""A real S3 API on loopback for the tests and the benchmarks: moto's server, with latency.

moto answers at once, which no object store does, so :class:`S3Server` wraps moto's WSGI
application in a middleware that sleeps :attr:`S3Server.latency` seconds before each request
(20 ms by default: a GET to S3 from the same region) and counts the requests by method. It
serves on ``127.0.0.1`` on a free port, in a process of its own (this file run as a script),
so the server's work never competes with the client's for one interpreter lock; nothing
reaches any other address. The caller sets the latency and reads the counts through the
server's control paths under ``/_s3server/`` (no bucket name starts with ``_``), which are
neither delayed nor counted.

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
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

DEFAULT_LATENCY = 0.020
"""Seconds before the first byte of each request (a GET to S3 within a region)."""

CONTROL = "/_s3server/"
"""The control paths' prefix: ``state`` (GET), ``latency`` (PUT, the seconds as the body),
``reset`` (POST)."""

_Env = dict[str, str]
_WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy, ever


class S3Server:
    """moto's S3 server on ``127.0.0.1`` (a free port) in a child process, each request
    delayed by ``latency``.

    ``counts`` holds the requests served by HTTP method since the last :meth:`reset`,
    ``ranged`` the GETs among them with a ``Range`` header, ``log`` their (method, path);
    ``latency`` may be changed while it runs.
    """

    def __init__(self, latency: float = DEFAULT_LATENCY) -> None:
        self._latency = latency
        self._process: subprocess.Popen[str] | None = None
        self._port = 0

    def start(self) -> S3Server:
        self._process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--latency",
                repr(self._latency),
                "--parent",
                str(os.getpid()),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # the port, once it listens
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the S3 server did not start (it printed {line!r})")
        self._port = int(line)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            if self._process.stdout is not None:
                self._process.stdout.close()
        self._process = None

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """The server's URL, ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._port}"

    def _control(self, name: str, method: str = "GET", body: bytes | None = None) -> Any:
        request = urllib.request.Request(self.endpoint + CONTROL + name, body, method=method)
        with _LOOPBACK.open(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    @property
    def latency(self) -> float:
        """Seconds slept before each request."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._control("latency", "PUT", repr(float(seconds)).encode())
        self._latency = float(seconds)

    @property
    def counts(self) -> collections.Counter[str]:
        """Requests served by HTTP method since the last :meth:`reset`."""
        return collections.Counter(self._control("state")["counts"])

    @property
    def ranged(self) -> int:
        """GETs with a ``Range`` header (partial reads: shard indexes and inner chunks)."""
        return int(self._control("state")["ranged"])

    @property
    def log(self) -> list[tuple[str, str]]:
        """(method, path) of each request since the last :meth:`reset`."""
        return [(m, p) for m, p in self._control("state")["log"]]

    def reset(self) -> None:
        """Forget the requests counted so far."""
        self._control("reset", "POST", b"")

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


class _Counting:
    """The child's WSGI middleware: the control paths, then latency and counts before moto."""

    def __init__(self, app: _WSGIApp, latency: float) -> None:
        self.app, self.latency = app, latency
        self.counts: collections.Counter[str] = collections.Counter()
        self.ranged = 0
        self.log: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        method, path = environ.get("REQUEST_METHOD", "?"), environ.get("PATH_INFO", "")
        if path.startswith(CONTROL):
            return self._control(path.removeprefix(CONTROL), environ, start_response)
        with self.lock:
            self.counts[method] += 1
            self.log.append((method, path))
            self.ranged += bool(environ.get("HTTP_RANGE"))
        if self.latency > 0:
            time.sleep(self.latency)
        return self.app(environ, start_response)

    def _control(self, name: str, environ: dict[str, Any], start_response: Callable[..., Any]):
        with self.lock:
            if name == "latency":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                self.latency = float(environ["wsgi.input"].read(size))
                body: object = self.latency
            elif name == "reset":
                self.counts.clear()
                self.log.clear()
                self.ranged = 0
                body = None
            else:
                body = {"counts": dict(self.counts), "ranged": self.ranged, "log": self.log}
        data = json.dumps(body).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [data]


def _serve(latency: float, parent: int) -> None:
    """Serve moto on 127.0.0.1, print the port, and exit when ``parent`` is gone."""
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log(self, *args: object) -> None:  # no line per request on stderr
            pass

    app = _Counting(DomainDispatcherApplication(create_backend_app), latency)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)

    def orphaned() -> None:  # a SIGKILLed parent sends no terminate: follow it out
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="moto's S3 server on 127.0.0.1, with latency")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY)
    parser.add_argument("--parent", type=int, default=os.getppid())
    args = parser.parse_args()
    _serve(args.latency, args.parent)
