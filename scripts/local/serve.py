#!/usr/bin/env python3
"""Serves an unpacked model.tar.gz behind SageMaker's hosting contract, on loopback, with
the standard library only (no Docker, no TorchServe).

What it emulates:
- the PyTorch inference container: `code/` of the model folder on sys.path, the module named by
  SAGEMAKER_PROGRAM imported (with the modules and packages it imports from code/), model_fn(model_dir) called once before the first request, each
  request answered through input_fn / predict_fn / output_fn exactly as the SageMaker inference
  toolkit's Transformer does (JSON and CSV bodies as str, others as bytes; a missing or */* Accept
  becomes SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT; an error with a status_code (the toolkit's
  BaseInferenceToolkitError) sets that status, anything else is a 500; error bodies are the
  message followed by the traceback, as the toolkit sends them);
- the container's HTTP contract: GET /ping, POST /invocations;
- the SageMaker runtime API in front of it: POST /endpoints/{name}/invocations, which wraps a
  model error in the runtime's 424 ModelError (OriginalStatusCode, OriginalMessage) and rejects
  unknown endpoint names and oversized payloads with a 400 ValidationError.

Prints `SERVING http://127.0.0.1:PORT` on stdout once the model is loaded and the port is open.
"""
import argparse
import importlib
import inspect
import json
import os
import socket
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UTF8_TYPES = ("application/json", "text/csv")  # sagemaker_inference.content_types.UTF8_TYPES
DEFAULT_ACCEPT = "application/json"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's limit for real-time endpoints
REGION = "local"
ACCOUNT = "000000000000"


class StartupError(Exception):
    """The container would fail its health check: the message says why and how to fix it."""


def call_handler(func, *args):
    """Like Transformer._run_handler_function: handlers may take one extra `context` argument."""
    count = len(inspect.signature(func).parameters)
    if count == len(args):
        return func(*args)
    if count == len(args) + 1:
        return func(*args, None)
    raise TypeError("{} takes {} arguments but {} were given.".format(func.__name__, count, len(args)))


class InferenceModel:
    """The user module's handlers and the model they loaded."""

    def __init__(self, model_dir, program):
        code_dir = os.path.join(model_dir, "code")
        module_name = program[:-3] if program.endswith(".py") else program
        if not os.path.isfile(os.path.join(code_dir, module_name + ".py")):
            raise StartupError(
                "SAGEMAKER_PROGRAM={} but {} has no {}.py: the model archive must carry its "
                "inference script in code/.".format(program, code_dir, module_name)
            )
        sys.path.insert(0, code_dir)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:  # the container's worker would die the same way, at every start
            raise StartupError(
                "{} imports {}, which neither {} nor the serving Python has: the model archive must carry the "
                "modules its inference script imports in code/ (the training script copies them to "
                "SM_MODEL_DIR/code/).".format(program, error.name, code_dir)
            ) from error
        missing = [name for name in ("model_fn", "input_fn", "predict_fn", "output_fn") if not hasattr(module, name)]
        if missing:
            raise StartupError(
                "{} does not define {}: the PyTorch container would fall back to its defaults "
                "(model_fn loads only TorchScript), which this emulator does not reproduce; define them "
                "in the script.".format(program, ", ".join(missing))
            )
        self.module = module
        self.default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or DEFAULT_ACCEPT
        started = time.time()
        self.model = call_handler(module.model_fn, model_dir)
        self.load_seconds = time.time() - started

    def invoke(self, body, content_type, accept):
        """Returns (status, body bytes, content type); never raises."""
        try:
            if not accept or accept == "*/*":
                accept = self.default_accept
            data = body.decode("utf-8") if content_type in UTF8_TYPES else body
            decoded = call_handler(self.module.input_fn, data, content_type)
            prediction = call_handler(self.module.predict_fn, decoded, self.model)
            result = call_handler(self.module.output_fn, prediction, accept)
            response, response_type = result if isinstance(result, tuple) else (result, accept)
            if isinstance(response, str):
                response = response.encode("utf-8")
            return 200, bytes(response), response_type
        except Exception as error:  # pylint: disable=broad-except
            trace = traceback.format_exc()
            status = getattr(error, "status_code", None)
            if isinstance(status, int) and 400 <= status <= 599:
                message = getattr(error, "message", str(error))
            else:
                status, message = 500, str(error)
            sys.stderr.write("invocation failed with {}: {}\n{}".format(status, message, trace))
            sys.stderr.flush()
            return status, "{}\n{}".format(message, trace).encode("utf-8"), "text/plain"


def runtime_model_error(endpoint, status, original):
    """The SageMaker runtime's answer when the container returns an error status."""
    text = original.decode("utf-8", errors="replace")
    kind = "client" if status < 500 else "server"
    log_group = "/aws/sagemaker/Endpoints/{}".format(endpoint)
    body = {
        "ErrorCode": "{}_ERROR_FROM_MODEL".format(kind.upper()),
        "LogStreamArn": "arn:aws:logs:{}:{}:log-group:{}".format(REGION, ACCOUNT, log_group),
        "Message": 'Received {} error ({}) from primary with message "{}". See the server\'s log for more '
        "information.".format(kind, status, text),
        "OriginalMessage": text,
        "OriginalStatusCode": status,
    }
    return 424, "ModelError", body


def make_handler(model, endpoint_names):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sagemaker-local-emulator"

        def setup(self):
            super().setup()
            # Headers and body go out in separate writes; without this, Nagle's algorithm and
            # delayed ACKs add ~40 ms to every keep-alive response, which no real endpoint shows.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
            pass  # one line per request would drown the orchestrator's output

        def send(self, status, body, content_type, headers=None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def send_runtime_error(self, status, error_type, body):
            payload = json.dumps(body).encode("utf-8")
            self.send(status, payload, "application/json", {"x-amzn-ErrorType": error_type})

        def read_body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def do_GET(self):  # noqa: N802 - http.server's naming
            if self.path == "/ping":
                self.send(200, b'{"status": "Healthy"}\n', "application/json")
            else:
                self.send(404, b"Not found: the container answers GET /ping and POST /invocations.\n", "text/plain")

        def do_POST(self):  # noqa: N802
            path = urllib.parse.urlsplit(self.path).path
            body = self.read_body()
            content_type = self.headers.get("Content-Type")
            accept = self.headers.get("Accept")
            if path == "/invocations":
                status, response, response_type = model.invoke(body, content_type, accept)
                self.send(status, response, response_type)
                return
            parts = path.split("/")
            if len(parts) == 4 and parts[0] == "" and parts[1] == "endpoints" and parts[3] == "invocations":
                self.runtime_invoke(urllib.parse.unquote(parts[2]), body, content_type, accept)
                return
            self.send(404, b"Not found: POST /invocations or /endpoints/{name}/invocations.\n", "text/plain")

        def runtime_invoke(self, endpoint, body, content_type, accept):
            if endpoint_names and endpoint not in endpoint_names:
                self.send_runtime_error(
                    400,
                    "ValidationError",
                    {"Message": "Endpoint {} of account {} not found.".format(endpoint, ACCOUNT)},
                )
                return
            if len(body) > MAX_PAYLOAD_BYTES:
                self.send_runtime_error(
                    400,
                    "ValidationError",
                    {"Message": "Request body of {} bytes exceeds the {} byte limit.".format(len(body), MAX_PAYLOAD_BYTES)},
                )
                return
            status, response, response_type = model.invoke(body, content_type, accept)
            if status == 200:
                self.send(200, response, response_type, {"x-Amzn-Invoked-Production-Variant": "AllTraffic"})
            else:
                self.send_runtime_error(*runtime_model_error(endpoint, status, response))

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", required=True, help="the unpacked model.tar.gz (stands for /opt/ml/model)")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port (the container uses 8080)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--endpoint-names",
        default="",
        help="comma-separated names the runtime path accepts; empty accepts any name",
    )
    args = parser.parse_args()
    program = os.environ.get("SAGEMAKER_PROGRAM")
    if not program:
        sys.exit("SAGEMAKER_PROGRAM is not set: set it to the inference script's file name (e.g. mnist.py), as the SageMaker Model does.")
    try:
        model = InferenceModel(os.path.abspath(args.model_dir), program)
    except StartupError as error:
        sys.exit("Cannot serve the model: {}".format(error))
    names = {name for name in args.endpoint_names.split(",") if name}
    server = ThreadingHTTPServer((args.host, args.port), make_handler(model, names))
    server.daemon_threads = True
    print("model_fn loaded {} in {:.2f} s".format(args.model_dir, model.load_seconds), flush=True)
    print("SERVING http://{}:{}".format(args.host, server.server_address[1]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
