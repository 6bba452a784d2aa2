"""A local stand-in for the Hugging Face hub: the resolve endpoint hf_hub_download uses, on 127.0.0.1.

It answers HEAD and GET on /{org}/{name}/resolve/{revision}/{file} with the headers the client
reads (X-Repo-Commit, ETag and X-Linked-Etag / X-Linked-Size for large files, Content-Length),
honours Range requests, and can cut one download short to test resuming.
"""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_SUFFIXES = (".safetensors", ".bin")


class HubServer:
    """Serves the files of local folders as hub repositories; ``requests`` logs (method, path, range)."""

    def __init__(self, repos: dict[str, Path]):
        self.repos = repos
        self.requests: list[tuple[str, str, str | None]] = []
        self.cut_next_get: str | None = None  # file name whose next GET stops half-way
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                server._answer(self, body=False)

            def do_GET(self) -> None:
                server._answer(self, body=True)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _answer(self, h: BaseHTTPRequestHandler, body: bool) -> None:
        rng = h.headers.get("Range")
        self.requests.append((h.command, h.path, rng))
        m = re.match(r"^/(?:api/models/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+?)(?:\?.*)?$", h.path)
        folder = self.repos.get(m.group(1)) if m else None
        if m is None or folder is None:
            h.send_response(404)
            h.send_header("X-Error-Code", "RepoNotFound")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        path = folder / m.group(3)
        if not path.is_file():
            h.send_response(404)
            h.send_header("X-Error-Code", "EntryNotFound")
            h.send_header("X-Repo-Commit", COMMIT)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        data = path.read_bytes()
        start = 0
        if rng and (r := re.match(r"bytes=(\d+)-", rng)):
            start = int(r.group(1))
        part = data[start:]
        h.send_response(206 if start else 200)
        h.send_header("X-Repo-Commit", COMMIT)
        if path.suffix in LFS_SUFFIXES:  # LFS files are named by their SHA-256
            h.send_header("X-Linked-Etag", f'"{hashlib.sha256(data).hexdigest()}"')
            h.send_header("X-Linked-Size", str(len(data)))
            h.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        else:
            h.send_header("ETag", f'"{hashlib.sha1(data).hexdigest()}"')
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        h.send_header("Content-Length", str(len(part)))
        h.send_header("Accept-Ranges", "bytes")
        h.end_headers()
        if not body:
            return
        if self.cut_next_get == path.name and h.command == "GET":
            self.cut_next_get = None
            h.wfile.write(part[: len(part) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(2)  # the connection drops mid-file
            return
        h.wfile.write(part)
