#!/usr/bin/env python3
"""Drives the web console in headless Chromium over the DevTools protocol, as a person would:
sign in, search by trace id, open the record, export CSV, see a validation error on a form,
edit an endpoint. Saves a screenshot of each page. Run by ConsoleBrowserTests (Swift), which
starts the real management listener and checks what the proxy does afterwards.

  console_journey.py --url https://localhost:PORT --certificate server.pem --auditor-token T
                     --admin-token T --trace TRACE --endpoint CPAID --new-address URL --screenshots DIR

Prints one line per step; exits non-zero at the first step that does not do what it should.
"""
import argparse
import base64
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Browser:
    def __init__(self, spki):
        self.profile = tempfile.mkdtemp(prefix="switchboard-chromium-")
        self.process = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "--window-size=1280,900",
             f"--ignore-certificate-errors-spki-list={spki}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        endpoint = None
        deadline = time.time() + 30
        while time.time() < deadline and endpoint is None:
            line = self.process.stderr.readline()
            match = re.search(r"DevTools listening on (ws://[^\s]+)", line)
            if match:
                endpoint = match.group(1)
        if endpoint is None:
            raise SystemExit("chromium did not start")
        port = re.search(r":(\d+)/", endpoint).group(1)
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise SystemExit(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for_load(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            message = json.loads(self.socket.recv())
            if message.get("method") == "Page.loadEventFired":
                return
        raise SystemExit("the page did not load")

    def open(self, url):
        self.call("Page.navigate", url=url)
        self.wait_for_load()

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise SystemExit(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def submit(self, selector, values):
        """Fills a form's fields (name -> value) and submits it, as typing and clicking would."""
        script = "(() => { const form = document.querySelector(%s);" % json.dumps(selector)
        for name, value in values.items():
            script += "form.elements[%s].value = %s;" % (json.dumps(name), json.dumps(value))
        script += "form.requestSubmit(); })()"
        self.call("Runtime.evaluate", expression=script)
        self.wait_for_load()

    def download(self, url, certificate):
        """What following `url` would download, with this browser's cookies."""
        cookies = self.call("Network.getCookies", urls=[url])["cookies"]
        request = urllib.request.Request(url, headers={"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies)})
        context = ssl.create_default_context(cafile=None)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.read().decode()

    def text(self):
        return self.evaluate("document.body.innerText")

    def path(self):
        return self.evaluate("location.pathname + location.search")

    def screenshot(self, folder, name):
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(os.path.join(folder, name + ".png"), "wb") as file:
            file.write(base64.b64decode(data))

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            self.process.wait(10)
            shutil.rmtree(self.profile, ignore_errors=True)


def spki_hash(certificate):
    """The base64 SHA-256 of the certificate's public key: Chromium trusts that key only."""
    key = subprocess.run(["openssl", "x509", "-in", certificate, "-pubkey", "-noout"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=key, check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, check=True, capture_output=True).stdout
    return base64.b64encode(digest).decode()


def check(condition, step, detail=""):
    if not condition:
        print(f"FAILED {step}: {detail}", flush=True)
        raise SystemExit(1)
    print(f"ok {step}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    for option in ["url", "certificate", "auditor-token", "admin-token", "trace", "endpoint", "new-address", "screenshots"]:
        parser.add_argument(f"--{option}", required=True)
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    browser = Browser(spki_hash(args.certificate))
    try:
        browser.open(args.url + "/console/sign-in")
        browser.screenshot(args.screenshots, "sign-in")
        browser.submit("form.sign-in", {"token": args.auditor_token})
        check(browser.path().startswith("/console/audit"), "auditor signs in", browser.path())
        browser.screenshot(args.screenshots, "exchanges")

        browser.submit("form.filters", {"trace-id": args.trace})
        text = browser.text()
        check(args.trace in text and "1 records on this page" in text, "search by trace id", text[:400])
        browser.screenshot(args.screenshots, "search-by-trace")

        browser.evaluate("document.querySelector('tbody a').click()")
        browser.wait_for_load()
        text = browser.text()
        check("Trace id" in text and args.trace in text and "forwarded" in text, "open the record", text[:400])
        browser.screenshot(args.screenshots, "record")

        # The export button is a download: fetch what it links to with the browser's session
        # cookie (the console's content policy lets no script on the page fetch anything).
        browser.open(args.url + f"/console/audit?trace-id={args.trace}")
        link = browser.evaluate("document.querySelector('a.button').href")
        csv = browser.download(link, args.certificate)
        check(csv.startswith("id,node,received_at") and args.trace in csv, "export CSV", csv[:200])

        browser.open(args.url + "/console/audit/report")
        check("<svg" in browser.evaluate("document.body.innerHTML"), "report with charts")
        browser.screenshot(args.screenshots, "report")
        browser.open(args.url + "/console/audit/verify")
        check("intact" in browser.text(), "verify the chain")
        browser.screenshot(args.screenshots, "verify")

        browser.submit("form.who", {})
        check(browser.path() == "/console/sign-in", "sign out")

        browser.submit("form.sign-in", {"token": args.admin_token})
        check(browser.path().startswith("/console/admin"), "administrator signs in", browser.path())
        browser.screenshot(args.screenshots, "routing-tables")
        browser.open(args.url + f"/console/admin/endpoints/{args.endpoint}")
        browser.submit("form.entry", {"address": "http://not-secure.example/A81001"})
        error = browser.evaluate("(document.getElementById('field-address-error') || {}).innerText || ''")
        check(error != "", "validation error beside the field", browser.text()[:400])
        browser.screenshot(args.screenshots, "validation-error")

        browser.open(args.url + f"/console/admin/endpoints/{args.endpoint}")
        browser.submit("form.entry", {"address": args.new_address, "reason": "moved by the browser test"})
        check("Apply this change" in browser.text(), "preview of the change", browser.text()[:1500])
        browser.screenshot(args.screenshots, "change-preview")
        browser.submit("main form", {})
        check("Saved" in browser.text(), "change applied", browser.text()[:400])
        browser.open(args.url + "/console/admin/history")
        check("moved by the browser test" in browser.text(), "history shows the change")
        browser.screenshot(args.screenshots, "history")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
