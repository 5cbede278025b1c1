"""Slot searches through Switchboard from several keep-alive connections until a deadline, each
with its own Ssp-TraceID; prints the trace ids whose answer arrived whole (status 200, the full
body). Connections that break (the proxy was killed) are retried until the deadline.

    crash_load.py URL HEADERS_FILE CERT KEY CA SECONDS CONNECTIONS > answered.txt
"""
import http.client
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

url, headers_file, cert, key, ca, seconds, connections = sys.argv[1:8]
deadline = time.monotonic() + float(seconds)
target = urllib.parse.urlsplit(url)
path = url[len(f"{target.scheme}://{target.netloc}"):]
headers = {}
for line in open(headers_file):
    name, _, value = line.rstrip("\n").partition(": ")
    if name and name != "Ssp-TraceID":
        headers[name] = value
context = ssl.create_default_context(cafile=ca)
context.load_cert_chain(cert, key)
answered = []
lock = threading.Lock()


def drive():
    connection = None
    while time.monotonic() < deadline:
        try:
            if connection is None:
                connection = http.client.HTTPSConnection(target.hostname, target.port, context=context, timeout=2)
            trace = str(uuid.uuid4())
            connection.request("GET", path, headers={**headers, "Ssp-TraceID": trace})
            response = connection.getresponse()
            body = response.read()
            length = response.getheader("Content-Length")
            if response.status == 200 and (length is None or int(length) == len(body)):
                with lock:
                    answered.append(trace)
        except (OSError, http.client.HTTPException):
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.05)


threads = [threading.Thread(target=drive) for _ in range(int(connections))]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("\n".join(answered))
