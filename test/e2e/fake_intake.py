#!/usr/bin/python3
"""A fake Datadog HTTP intake for end-to-end tests (Debian python3 stdlib + jsonschema only).

It accepts what dynostatsd sends and records every request, decoded and schema-checked:

  POST /api/v2/series      MetricPayload (JSON)                  -> 202 {"errors": []}
  POST /api/v1/series      MetricsPayload (JSON)                 -> 202 {"status": "ok"}
  POST /api/v1/check_run   ServiceChecks (JSON array)            -> 202 {"status": "ok"}
  POST /api/v1/events      EventCreateRequest (JSON)             -> 202 {"status": "ok", "event": {...}}
  POST /api/beta/sketches  SketchPayload (protobuf, decoded here) -> 202 {}
  GET  /api/v1/validate                                          -> 200 {"valid": true} (403 for a bad key)
  Proxy forms: an absolute-URI request is served and recorded with "proxied": true; a CONNECT
  (HTTPS proxy tunnel) is recorded as method CONNECT, path host:port, and answered 502.
  With tls_cert/tls_key (--tls-cert/--tls-key) it serves HTTPS instead of HTTP.

Bodies are decompressed per Content-Encoding (deflate = zlib stream, gzip, zstd1/zstd); an
encoding the endpoint does not accept, an undecodable body or a JSON body that fails the OpenAPI
schema is recorded and answered 400. Documented size limits are enforced (413). A missing or bad
DD-API-KEY gets 403. The key itself is never recorded or printed: only `api_key_present`.

Fault injection (module methods, `POST /_control` JSON, or CLI flags):
  fail(status, count=N | seconds=T, path=prefix)  answer `status` to the next N requests / for T s
  delay(seconds, count=N | duration=T)            sleep before answering
  max_body(bytes)                                 413 when the raw body is larger
  refuse(seconds)                                 close the listening socket (and open
                                                  connections), reopen on the same port after T s
  reset()                                         clear every fault
  `POST /_control` takes {"action": "fail"|"delay"|"max_body"|"refuse"|"reset", ...same names}.
  `GET /_requests` returns the records as a JSON list.

Module use:
  intake = FakeIntake(); intake.start(); ... intake.url ...
  intake.wait_for(lambda: intake.series_points("page.views"), timeout=10)
  intake.stop()

CLI use:
  /usr/bin/python3 test/e2e/fake_intake.py --port-file F --record R.jsonl [--schemas PATH]
  (writes its URL to F once listening; appends one JSON line per request to R)
"""

import argparse
import gzip
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import jsonschema
except ImportError:  # pragma: no cover - Debian's python3-jsonschema is a test dependency
    jsonschema = None

try:
    import zstandard
except ImportError:
    zstandard = None

HERE = os.path.dirname(os.path.abspath(__file__))

# path -> (schema version, schema name or None, accepted Content-Encodings, raw limit, decoded limit)
# Limits from the OpenAPI descriptions (v1/v2 series) and the Agent's serializer (sketches,
# check_run); events are small single objects.
ENDPOINTS = {
    "/api/v2/series": ("v2", "MetricPayload", {"identity", "deflate", "zstd1", "gzip"}, 512000, 5242880),
    "/api/v1/series": ("v1", "MetricsPayload", {"identity", "deflate", "gzip"}, 3200000, 62914560),
    "/api/v1/check_run": ("v1", "ServiceChecks", {"identity", "deflate"}, 2500000, 4000000),
    "/api/v1/events": ("v1", "EventCreateRequest", {"identity"}, 1000000, 1000000),
    "/api/beta/sketches": (None, None, {"identity", "deflate", "zstd"}, 2500000, 4000000),
}

ACCEPTED_BODY = {
    "/api/v2/series": {"errors": []},
    "/api/v1/series": {"status": "ok"},
    "/api/v1/check_run": {"status": "ok"},
    "/api/beta/sketches": {},
}

DEFAULT_BAD_KEYS = ("bad",)


class SpecsMissing(RuntimeError):
    """The official schema files are not where scripts/specs.sh looks (its message says how to get them)."""


def default_schemas_path():
    """series-schemas.json in the folder scripts/specs.sh finds (the one place that locates the spec
    files: $DYNOSTATSD_SHARED_DIR, ../shared, or what scripts/fetch-specs.sh downloaded). Raises
    SpecsMissing with its instructions otherwise: validation is never skipped silently."""
    script = os.path.join(HERE, "..", "..", "scripts", "specs.sh")
    result = subprocess.run(["bash", script], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SpecsMissing(result.stderr.strip() or "scripts/specs.sh failed")
    return os.path.join(result.stdout.strip(), "datadog-api", "series-schemas.json")


# ------------------------------------------------------------------------------------------------
# Decoding


class DecodeError(Exception):
    pass


def decompress(body, encoding):
    """Returns the decoded bytes for one Content-Encoding value ("identity" when absent)."""
    if encoding == "identity":
        return body
    if encoding == "deflate":
        try:
            return zlib.decompress(body)  # zlib-wrapped stream, as the Agent and curl send it
        except zlib.error as err:
            raise DecodeError("deflate: %s" % err)
    if encoding == "gzip":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as err:
            raise DecodeError("gzip: %s" % err)
    if encoding in ("zstd", "zstd1"):
        if zstandard is not None:
            try:
                return zstandard.ZstdDecompressor().decompressobj().decompress(body)
            except zstandard.ZstdError as err:
                raise DecodeError("zstd: %s" % err)
        tool = shutil.which("zstd")
        if tool is None:
            raise DecodeError("zstd: neither the zstandard module nor the zstd CLI is installed")
        proc = subprocess.run([tool, "-d", "-c", "-q"], input=body, capture_output=True, check=False)
        if proc.returncode != 0:
            raise DecodeError("zstd: %s" % proc.stderr.decode("utf-8", "replace").strip())
        return proc.stdout
    raise DecodeError("unknown content-encoding %r" % encoding)


def _varint(data, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError("protobuf: truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError("protobuf: varint too long")


def _fields(data):
    """Yields (field number, wire type, value) for one message; value is int, bytes or float bits."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise DecodeError("protobuf: field number 0")
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            if pos + 8 > len(data):
                raise DecodeError("protobuf: truncated fixed64")
            value = data[pos : pos + 8]
            pos += 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise DecodeError("protobuf: truncated length-delimited field %d" % number)
            value = data[pos : pos + length]
            pos += length
        elif wire == 5:
            if pos + 4 > len(data):
                raise DecodeError("protobuf: truncated fixed32")
            value = data[pos : pos + 4]
            pos += 4
        else:
            raise DecodeError("protobuf: unsupported wire type %d" % wire)
        yield number, wire, value


def _signed64(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def _zigzag(value):
    return (value >> 1) ^ -(value & 1)


def _double(raw):
    return struct.unpack("<d", raw)[0]


def _packed_varints(wire, value):
    if wire == 0:
        return [value]
    out = []
    pos = 0
    while pos < len(value):
        item, pos = _varint(value, pos)
        out.append(item)
    return out


def _text(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DecodeError("protobuf: string field is not valid UTF-8")


def decode_dogsketch(data):
    out = {"ts": 0, "cnt": 0, "min": 0.0, "max": 0.0, "avg": 0.0, "sum": 0.0, "k": [], "n": []}
    names = {3: "min", 4: "max", 5: "avg", 6: "sum"}
    for number, wire, value in _fields(data):
        if number == 1 and wire == 0:
            out["ts"] = _signed64(value)
        elif number == 2 and wire == 0:
            out["cnt"] = _signed64(value)
        elif number in names and wire == 1:
            out[names[number]] = _double(value)
        elif number == 7 and wire in (0, 2):
            out["k"].extend(_zigzag(v) for v in _packed_varints(wire, value))
        elif number == 8 and wire in (0, 2):
            out["n"].extend(_packed_varints(wire, value))
        else:
            raise DecodeError("protobuf: unexpected Dogsketch field %d wire %d" % (number, wire))
    return out


def decode_sketch(data):
    out = {"metric": "", "host": "", "tags": [], "dogsketches": []}
    for number, wire, value in _fields(data):
        if number == 1 and wire == 2:
            out["metric"] = _text(value)
        elif number == 2 and wire == 2:
            out["host"] = _text(value)
        elif number == 4 and wire == 2:
            out["tags"].append(_text(value))
        elif number == 7 and wire == 2:
            out["dogsketches"].append(decode_dogsketch(value))
        elif number in (3, 8):
            out.setdefault("ignored_fields", []).append(number)
        else:
            raise DecodeError("protobuf: unexpected Sketch field %d wire %d" % (number, wire))
    return out


def decode_sketch_payload(data):
    """Decodes agent-payload SketchPayload (field numbers from agent_payload.proto)."""
    out = {"sketches": [], "metadata": None}
    for number, wire, value in _fields(data):
        if number == 1 and wire == 2:
            out["sketches"].append(decode_sketch(value))
        elif number == 2 and wire == 2:
            meta = {}
            for mnum, mwire, mval in _fields(value):
                if mwire == 2:
                    meta[str(mnum)] = _text(mval)
                elif mwire == 0:
                    meta[str(mnum)] = mval
            out["metadata"] = meta
        else:
            raise DecodeError("protobuf: unexpected SketchPayload field %d wire %d" % (number, wire))
    return out


# ------------------------------------------------------------------------------------------------
# Schemas


class SchemaSet:
    """Draft-4 validators for the OpenAPI fragments, wrapped as {"$ref", "components"} (§D)."""

    def __init__(self, path):
        self.path = path
        self._validators = {}
        if jsonschema is None:
            raise SpecsMissing("python3-jsonschema is missing, so payloads cannot be validated: run make deps "
                               "(or apt-get install python3-jsonschema)")
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
        for version in ("v1", "v2"):
            schemas = doc[version]["schemas"]
            for name in schemas:
                wrapped = {"$ref": "#/components/schemas/%s" % name, "components": {"schemas": schemas}}
                self._validators[(version, name)] = jsonschema.Draft4Validator(wrapped)

    @property
    def available(self):
        return bool(self._validators)

    def errors(self, version, name, body):
        validator = self._validators.get((version, name))
        if validator is None:
            return None  # not checked
        errors = []
        for err in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in err.absolute_path)
            errors.append("%s: %s" % (where or "(root)", err.message[:300]))
            if len(errors) >= 20:
                break
        return errors


# ------------------------------------------------------------------------------------------------
# Faults


class Fault:
    def __init__(self, status=None, count=None, seconds=None, path=None, delay=0.0, echo_key=False):
        self.status = status
        self.echo_key = echo_key  # the error body quotes the request's API key (a careless intake)
        self.remaining = count
        self.until = time.monotonic() + seconds if seconds is not None else None
        self.path = path
        self.delay = delay

    def active(self):
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.until is not None and time.monotonic() >= self.until:
            return False
        return True

    def matches(self, path):
        if self.path is not None:
            return path.startswith(self.path)
        return path != "/api/v1/validate"

    def consume(self):
        if self.remaining is not None:
            self.remaining -= 1


# ------------------------------------------------------------------------------------------------
# Server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up (or connections we cut in refuse mode) are normal here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-intake/1"

    def log_message(self, fmt, *args):
        if self.server.intake.verbose:
            sys.stderr.write("fake_intake: %s\n" % (fmt % args))

    def setup(self):
        super().setup()
        self.server.intake._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.intake._track(self.connection, False)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = self.rfile.readline(100)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(10)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, payload, close=False):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _target(self):
        """The request path, and whether it came in proxy (absolute-URI) form."""
        target = self.path
        proxied = target.startswith(("http://", "https://"))
        if proxied:
            rest = target.split("://", 1)[1]
            target = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return target.split("?", 1)[0], proxied

    def do_GET(self):
        path, proxied = self._target()
        if path == "/_requests":
            self._send(200, self.server.intake.records())
            return
        self.server.intake._handle(self, "GET", path, b"", proxied)

    def do_CONNECT(self):
        # An HTTPS proxy request: recorded (the target is host:port) and refused with 502, so the
        # client retries; tests use it to prove HTTPS_PROXY/NO_PROXY are honoured.
        record = {"time": time.time(), "method": "CONNECT", "path": self.path, "status": 502,
                  "headers": {"content-type": None, "content-encoding": None,
                              "user-agent": self.headers.get("User-Agent"),
                              "api_key_present": bool(self.headers.get("DD-API-KEY"))},
                  "body_bytes": 0, "proxied": True}
        self.server.intake._record(record)
        self._send(502, {"errors": ["this fake intake does not tunnel"]}, close=True)

    def do_POST(self):
        path, proxied = self._target()
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self._send(400, {"errors": ["unreadable body"]}, close=True)
            return
        if path == "/_control":
            self.server.intake._control(self, body)
            return
        self.server.intake._handle(self, "POST", path, body, proxied)


class FakeIntake:
    """A fake Datadog intake on 127.0.0.1 (port 0 by default), served from a background thread."""

    def __init__(self, port=0, host="127.0.0.1", schemas_path=None, record_path=None, api_key=None,
                 bad_keys=DEFAULT_BAD_KEYS, verbose=False, tls_cert=None, tls_key=None):
        self.host = host
        self.tls = None
        if tls_cert:  # serve HTTPS with this certificate (e.g. a self-signed one)
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(tls_cert, tls_key)
        self.port = port
        self.schemas = SchemaSet(schemas_path or default_schemas_path())
        self.record_path = record_path
        self.api_key = api_key  # when set, any other key is rejected with 403
        self.bad_keys = set(bad_keys)
        self.verbose = verbose
        self.requests = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._faults = []
        self._max_body = None
        self._server = None
        self._thread = None
        self._connections = set()
        self._refusing_until = None
        self._reopen_timer = None
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self):
        self._stopped = False
        self._open()
        return self

    def stop(self):
        self._stopped = True
        if self._reopen_timer is not None:
            self._reopen_timer.cancel()
        self._close(cut_connections=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", self.host, self.port)

    def _open(self):
        server = _Server((self.host, self.port), _Handler)
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        server.intake = self
        self.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="fake-intake", daemon=True)
        self._server, self._thread = server, thread
        thread.start()

    def _close(self, cut_connections):
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        if cut_connections:
            with self._lock:
                connections = list(self._connections)
            for conn in connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _track(self, conn, add):
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- faults --------------------------------------------------------------------------------

    def fail(self, status, count=None, seconds=None, path=None, echo_key=False):
        """Answer `status` to the next `count` requests, or for `seconds` (forever when neither).

        echo_key: the body is {"errors":["... <the request's DD-API-KEY> ..."]} (also with 202)."""
        with self._lock:
            self._faults.append(Fault(status=int(status), count=count, seconds=seconds, path=path,
                                      echo_key=echo_key))

    def delay(self, seconds, count=None, duration=None, path=None):
        """Sleep `seconds` before answering the next `count` requests (or for `duration` s)."""
        with self._lock:
            self._faults.append(Fault(delay=float(seconds), count=count, seconds=duration, path=path))

    def max_body(self, size):
        """Answer 413 when a request's raw (still compressed) body is larger than `size` bytes."""
        with self._lock:
            self._max_body = int(size) if size else None

    def refuse(self, seconds):
        """Close the listening socket and every open connection; reopen on the same port later."""
        self._close(cut_connections=True)
        self._refusing_until = time.monotonic() + seconds
        self._reopen_timer = threading.Timer(seconds, self._reopen)
        self._reopen_timer.daemon = True
        self._reopen_timer.start()

    def _reopen(self):
        if self._stopped:
            return
        for _ in range(100):
            try:
                self._open()
                break
            except OSError:
                time.sleep(0.05)
        self._refusing_until = None

    def reset(self):
        with self._lock:
            self._faults = []
            self._max_body = None

    def _control(self, handler, body):
        try:
            command = json.loads(body or b"{}")
            action = command.get("action")
            if action == "fail":
                self.fail(command["status"], command.get("count"), command.get("seconds"), command.get("path"))
            elif action == "delay":
                self.delay(command["seconds"], command.get("count"), command.get("duration"), command.get("path"))
            elif action == "max_body":
                self.max_body(command.get("bytes"))
            elif action == "reset":
                self.reset()
            elif action == "clear":
                self.clear()
            elif action == "refuse":
                seconds = float(command["seconds"])
                handler._send(200, {"ok": True}, close=True)
                threading.Thread(target=self.refuse, args=(seconds,), daemon=True).start()
                return
            else:
                raise ValueError("unknown action %r" % action)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            handler._send(400, {"errors": [str(err)]})
            return
        handler._send(200, {"ok": True})

    def _take_fault(self, path):
        """Returns (status or None, delay seconds, echo_key) for this request, consuming faults."""
        status, delay, echo = None, 0.0, False
        with self._lock:
            self._faults = [f for f in self._faults if f.active()]
            for fault in self._faults:
                if not fault.matches(path):
                    continue
                if fault.delay and delay == 0.0:
                    delay = fault.delay
                    fault.consume()
                elif fault.status is not None and status is None:
                    status = fault.status
                    echo = fault.echo_key
                    fault.consume()
        return status, delay, echo

    # -- request handling ----------------------------------------------------------------------

    def _handle(self, handler, method, path, body, proxied=False):
        headers = handler.headers
        key = headers.get("DD-API-KEY")
        record = {
            "time": time.time(),
            "method": method,
            "path": path,
            "headers": {
                "content-type": headers.get("Content-Type"),
                "content-encoding": headers.get("Content-Encoding"),
                "user-agent": headers.get("User-Agent"),
                "api_key_present": bool(key),
            },
            "body_bytes": len(body),
            "proxied": proxied,  # arrived as an HTTP proxy request (absolute URI)
        }
        fault_status, delay, echo = self._take_fault(path)
        if delay:
            record["delay"] = delay
            time.sleep(delay)

        status, response = self._evaluate(method, path, body, key, record)
        if fault_status is not None:
            record["fault"] = fault_status
            status, response = fault_status, {"errors": ["injected fault %d" % fault_status]}
            if echo:
                response = {"errors": ["invalid payload for api key %s" % key]}
        record["status"] = status
        self._record(record)
        try:
            handler._send(status, response)
        except OSError:
            pass

    def _key_rejected(self, key):
        if not key or key in self.bad_keys:
            return True
        return self.api_key is not None and key != self.api_key

    def _evaluate(self, method, path, body, key, record):
        """Returns (status, response JSON) as the real intake would, and fills `record`."""
        if path == "/api/v1/validate":
            if method != "GET":
                return 405, {"errors": ["method not allowed"]}
            if self._key_rejected(key):
                return 403, {"errors": ["Forbidden"]}
            return 200, {"valid": True}
        endpoint = ENDPOINTS.get(path)
        if endpoint is None:
            return 404, {"errors": ["Not found"]}
        if method != "POST":
            return 405, {"errors": ["method not allowed"]}
        version, schema, encodings, raw_limit, decoded_limit = endpoint

        encoding = (record["headers"]["content-encoding"] or "identity").strip().lower()
        try:
            if encoding not in encodings:
                raise DecodeError("content-encoding %r not accepted on %s" % (encoding, path))
            decoded = decompress(body, encoding)
        except DecodeError as err:
            record["decode_error"] = str(err)
            return 400, {"errors": [str(err)]}
        record["decoded_bytes"] = len(decoded)

        if path == "/api/beta/sketches":
            try:
                record["body"] = decode_sketch_payload(decoded)
            except DecodeError as err:
                record["decode_error"] = str(err)
                return 400, {"errors": [str(err)]}
        else:
            try:
                record["body"] = json.loads(decoded.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as err:
                record["decode_error"] = "json: %s" % err
                return 400, {"errors": ["invalid JSON: %s" % err]}
            errors = self.schemas.errors(version, schema, record["body"])
            record["schema_valid"] = None if errors is None else not errors
            record["schema_errors"] = errors or []
            if errors:
                return 400, {"errors": errors}

        if self._key_rejected(key):
            return 403, {"errors": ["Forbidden"]}
        max_body = self._max_body
        if max_body is not None and len(body) > max_body:
            return 413, {"errors": ["Payload too large (test limit %d bytes)" % max_body]}
        if len(body) > raw_limit or len(decoded) > decoded_limit:
            return 413, {"errors": ["Payload too large"]}
        if path == "/api/v1/events":
            event = dict(record["body"])
            event.update({"id": len(self.requests) + 1, "url": "/event/event?id=%d" % (len(self.requests) + 1)})
            return 202, {"status": "ok", "event": event}
        return 202, ACCEPTED_BODY[path]

    def _record(self, record):
        with self._changed:
            self.requests.append(record)
            if self.record_path:
                with open(self.record_path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record, sort_keys=True) + "\n")
            self._changed.notify_all()

    # -- queries -------------------------------------------------------------------------------

    def records(self):
        with self._lock:
            return list(self.requests)

    def clear(self):
        with self._lock:
            self.requests = []

    def wait_for(self, predicate, timeout=10.0):
        """Re-evaluates `predicate()` whenever a request arrives; returns its last value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return value
            with self._changed:
                self._changed.wait(min(remaining, 0.1))

    def accepted(self, path=None):
        """Records answered 2xx (what the real intake would have kept), optionally for one path."""
        return [r for r in self.records() if 200 <= r["status"] < 300 and (path is None or r["path"] == path)]

    def series(self, metric=None):
        """Accepted series from v1 and v2 payloads, normalised to one shape:
        {"metric", "type": "count"|"rate"|"gauge"|"", "interval", "host", "tags", "unit",
         "points": [(timestamp, value)], "api": "v1"|"v2"}."""
        out = []
        v2_types = {0: "", 1: "count", 2: "rate", 3: "gauge"}
        for record in self.accepted():
            if record["path"] == "/api/v2/series":
                for s in record["body"]["series"]:
                    host = ""
                    for resource in s.get("resources", []):
                        if resource.get("type") == "host":
                            host = resource.get("name", "")
                    out.append({
                        "metric": s["metric"], "type": v2_types.get(s.get("type", 0), "?"),
                        "interval": s.get("interval"), "host": host, "tags": s.get("tags", []),
                        "unit": s.get("unit"), "api": "v2",
                        "points": [(p["timestamp"], p["value"]) for p in s["points"]],
                    })
            elif record["path"] == "/api/v1/series":
                for s in record["body"]["series"]:
                    out.append({
                        "metric": s["metric"], "type": s.get("type", ""), "interval": s.get("interval"),
                        "host": s.get("host", ""), "tags": s.get("tags", []), "unit": None, "api": "v1",
                        "points": [(p[0], p[1]) for p in s["points"]],
                    })
        if metric is not None:
            out = [s for s in out if s["metric"] == metric]
        return out

    def series_points(self, metric, tags=None):
        """[(timestamp, value)] of every accepted point of `metric` (optionally with all `tags`)."""
        points = []
        for s in self.series(metric):
            if tags is None or all(t in s["tags"] for t in tags):
                points.extend(s["points"])
        return points

    def series_sum(self, metric, tags=None):
        return sum(v for _, v in self.series_points(metric, tags))

    def checks(self, name=None):
        out = []
        for record in self.accepted("/api/v1/check_run"):
            out.extend(record["body"])
        return [c for c in out if name is None or c["check"] == name]

    def events(self, title=None):
        out = [r["body"] for r in self.accepted("/api/v1/events")]
        return [e for e in out if title is None or e["title"] == title]

    def sketches(self, metric=None):
        out = []
        for record in self.accepted("/api/beta/sketches"):
            out.extend(record["body"]["sketches"])
        return [s for s in out if metric is None or s["metric"] == metric]

    def invalid(self):
        """Records whose body failed decoding or schema validation (should be empty)."""
        return [r for r in self.records() if r.get("decode_error") or r.get("schema_valid") is False]


# ------------------------------------------------------------------------------------------------
# CLI


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fake Datadog intake for dynostatsd tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the base URL here once listening")
    parser.add_argument("--record", help="append one JSON line per request to this file")
    parser.add_argument("--schemas", help="series-schemas.json (default: the one scripts/specs.sh locates)")
    parser.add_argument("--api-key", help="the only key accepted (default: any key except --bad-key)")
    parser.add_argument("--bad-key", action="append", default=None, help="a key answered 403 (default: bad)")
    parser.add_argument("--fail-status", type=int, help="answer this status ...")
    parser.add_argument("--fail-count", type=int, help="... to the next N requests")
    parser.add_argument("--fail-seconds", type=float, help="... for T seconds")
    parser.add_argument("--fail-path", help="only for paths starting with this prefix")
    parser.add_argument("--delay", type=float, help="sleep this long before every answer")
    parser.add_argument("--max-body", type=int, help="413 when the raw body is larger than N bytes")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    parser.add_argument("--verbose", action="store_true", help="log every request line on stderr")
    args = parser.parse_args(argv)

    if args.schemas and not os.path.exists(args.schemas):
        parser.error("no such schemas file: %s" % args.schemas)
    try:
        schemas_path = args.schemas or default_schemas_path()
    except SpecsMissing as err:
        sys.stderr.write("fake_intake: %s\n" % err)
        return 2
    intake = FakeIntake(port=args.port, host=args.host, schemas_path=schemas_path, record_path=args.record,
                        api_key=args.api_key, bad_keys=args.bad_key or DEFAULT_BAD_KEYS, verbose=args.verbose,
                        tls_cert=args.tls_cert, tls_key=args.tls_key)
    if args.fail_status:
        intake.fail(args.fail_status, args.fail_count, args.fail_seconds, args.fail_path)
    if args.delay:
        intake.delay(args.delay)
    if args.max_body:
        intake.max_body(args.max_body)
    intake.start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(intake.url + "\n")
        os.replace(tmp, args.port_file)
    sys.stderr.write("fake_intake: listening on %s\n" % intake.url)
    sys.stderr.flush()

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    intake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
