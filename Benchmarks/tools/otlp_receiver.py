"""A minimal OpenTelemetry collector for Benchmarks/trace.sh: takes OTLP/HTTP JSON trace exports
on a loopback port and appends each span (trace id, span id, name, start and end in Unix
nanoseconds) as one JSON line to a file.

    python3 otlp_receiver.py PORT SPANS.jsonl
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

FIELDS = ("traceId", "spanId", "parentSpanId", "name", "startTimeUnixNano", "endTimeUnixNano")


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            export = json.loads(body)
        except ValueError as error:
            self.send_error(400, f"not OTLP/JSON: {error}")
            return
        with open(sys.argv[2], "a") as spans:
            for resource in export.get("resourceSpans", []):
                for scope in resource.get("scopeSpans", []):
                    for span in scope.get("spans", []):
                        spans.write(json.dumps({field: span.get(field) for field in FIELDS}) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *arguments):
        pass


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
