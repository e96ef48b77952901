#!/usr/bin/python3
"""A fake OTLP/HTTP metrics intake for end-to-end tests, built on fake_intake.FakeIntake (same
server, fault injection, refuse() and wait_for()).

  POST /v1/metrics   ExportMetricsServiceRequest, binary protobuf, Content-Encoding gzip or none
                     -> 200 ExportMetricsServiceResponse (application/x-protobuf)

Bodies are decoded with Debian's python3-protobuf and modules that protoc generates at import from
the OFFICIAL .proto files in $DYNOSTATSD_SHARED_DIR/otlp-proto (never with an inverse of the
agent's encoder). An undecodable body is recorded and answered 400 with a google.rpc.Status.
Every request header is recorded (the tests use made-up secrets).

Beyond FakeIntake's faults:
  retry_after = "3" | "<HTTP-date>"   sent with injected 429/503 answers
  partial(rejected, message)          the next answers carry partial_success
  fail(400, ...)                      answered with a google.rpc.Status whose message names the fault
  max_body(bytes)                     413 when the raw (compressed) body is larger

Queries: points(name) -> [(data point, metric, resource attributes dict)], resource(), metrics().
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time

from fake_intake import DecodeError, FakeIntake, decompress

HERE = os.path.dirname(os.path.abspath(__file__))


def _proto_dir():
    shared = os.environ.get("DYNOSTATSD_SHARED_DIR") or os.path.join(HERE, "..", "..", "..", "shared")
    return os.path.join(os.path.abspath(shared), "otlp-proto")


def _generate_modules():
    out = tempfile.mkdtemp(prefix="otlp-py-")
    atexit.register(shutil.rmtree, out, True)
    proto = _proto_dir()
    files = [os.path.join(proto, "opentelemetry/proto", p) for p in (
        "common/v1/common.proto", "resource/v1/resource.proto", "metrics/v1/metrics.proto",
        "collector/metrics/v1/metrics_service.proto")]
    subprocess.run(["protoc", "--python_out=" + out, "-I", proto] + files, check=True)
    sys.path.insert(0, out)


_generate_modules()
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2  # noqa: E402


def attributes(key_values):
    """repeated KeyValue -> {key: value}; fails on a repeated key (the proto forbids them)."""
    out = {}
    for kv in key_values:
        if kv.key in out:
            raise AssertionError("repeated attribute key %r" % kv.key)
        out[kv.key] = getattr(kv.value, kv.value.WhichOneof("value")) if kv.value.WhichOneof("value") else None
    return out


def _rpc_status(code, message):
    """google.rpc.Status{1: code, 2: message}, by hand (googleapis protos are not in the tree)."""
    data = message.encode("utf-8")

    def varint(value):
        out = bytearray()
        while value >= 0x80:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
        return bytes(out)

    return b"\x08" + varint(code) + b"\x12" + varint(len(data)) + data


class FakeOtlpIntake(FakeIntake):
    PATH = "/v1/metrics"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.retry_after = None
        self._partial = None

    @property
    def endpoint(self):
        return self.url + self.PATH

    def partial(self, rejected, message):
        with self._lock:
            self._partial = (rejected, message)

    # -- request handling (overrides FakeIntake's Datadog handling) -------------------------

    def _handle(self, handler, method, path, body, proxied=False):
        record = {"time": time.time(), "method": method, "path": path, "body_bytes": len(body),
                  "headers": {k.lower(): v for k, v in handler.headers.items()}}
        fault_status, delay, _echo = self._take_fault(path)  # echo: a Datadog-body fault only
        if delay:
            time.sleep(delay)
        status, response, extra = self._evaluate_otlp(method, path, body, record)
        if fault_status is not None:
            record["fault"] = fault_status
            status, response, extra = fault_status, _rpc_status(14, "injected fault %d" % fault_status), {}
            if fault_status in (429, 503) and self.retry_after is not None:
                extra = {"Retry-After": str(self.retry_after)}
        record["status"] = status
        self._record(record)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/x-protobuf")
            handler.send_header("Content-Length", str(len(response)))
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(response)
            handler.wfile.flush()
        except OSError:
            pass

    def _evaluate_otlp(self, method, path, body, record):
        if path != self.PATH:
            return 404, _rpc_status(5, "not found"), {}
        if method != "POST":
            return 405, _rpc_status(12, "method not allowed"), {}
        if record["headers"].get("content-type") != "application/x-protobuf":
            return 415, _rpc_status(3, "unsupported content type"), {}
        encoding = (record["headers"].get("content-encoding") or "identity").strip().lower()
        try:
            if encoding not in ("identity", "gzip"):
                raise DecodeError("content-encoding %r not accepted" % encoding)
            decoded = decompress(body, encoding)
            request = metrics_service_pb2.ExportMetricsServiceRequest.FromString(decoded)
            for rm in request.resource_metrics:
                attributes(rm.resource.attributes)
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        data = getattr(metric, metric.WhichOneof("data"))
                        for point in data.data_points:
                            attributes(point.attributes)
        except Exception as err:  # noqa: BLE001 - any decode failure is the agent's bug
            record["decode_error"] = str(err)
            return 400, _rpc_status(3, "cannot decode: %s" % err), {}
        record["decoded_bytes"] = len(decoded)
        max_body = self._max_body
        if max_body is not None and len(body) > max_body:
            return 413, _rpc_status(8, "request too large (test limit %d bytes)" % max_body), {}
        record["request"] = request
        response = metrics_service_pb2.ExportMetricsServiceResponse()
        with self._lock:
            partial = self._partial
        if partial is not None:
            response.partial_success.rejected_data_points = partial[0]
            response.partial_success.error_message = partial[1]
        return 200, response.SerializeToString(), {}

    # -- queries ---------------------------------------------------------------------------

    def requests_ok(self):
        return [r for r in self.records() if r["status"] == 200 and "request" in r]

    def invalid(self):
        return [r for r in self.records() if r.get("decode_error")]

    def metrics(self, name=None):
        """[(metric, resource attributes dict)] of every accepted request."""
        out = []
        for record in self.requests_ok():
            for rm in record["request"].resource_metrics:
                resource = attributes(rm.resource.attributes)
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        if name is None or metric.name == name:
                            out.append((metric, resource))
        return out

    def points(self, name, match=None):
        """[data point] of metric `name` whose attributes include `match` (a dict)."""
        out = []
        for metric, _ in self.metrics(name):
            data = getattr(metric, metric.WhichOneof("data"))
            for point in data.data_points:
                if match is None or all(attributes(point.attributes).get(k) == v for k, v in match.items()):
                    out.append(point)
        return out

    def total(self, name, match=None):
        """Sum of as_double over the points of a delta Sum (or the count of a histogram)."""
        total = 0
        for point in self.points(name, match):
            total += point.count if hasattr(point, "scale") else point.as_double
        return total
