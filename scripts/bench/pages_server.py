#!/usr/bin/env python3
"""Serves generated GitBook-like pages on 127.0.0.1 for the check benchmark (stdlib only).

    pages_server.py --ports 30 --base-port 18400 --targets 300 --kb 100 --delay-ms 50 \
                    --lifetime 600 --ready-file /tmp/x/ready

Page N is served at http://127.0.0.1:<base-port + N % ports>/p/N (--base-port 0, the
default, picks a random range of free ports). Every page is the
fixture tests/fixtures/gitbook/base.html with its [data-content-ref-root] document
repeated (numbered per page and copy, so no two pages or paragraphs are alike) until the
page is about --kb kilobytes. Every response waits --delay-ms before it is sent
(HTTP/1.1, keep-alive, Content-Length, no compression, no validators).

GET /stats (no delay) returns the counters since the last /stats as JSON and resets them.
GET /rev/K (no delay) switches every page to revision K (default 0): from revision 1 on, every
block of every page carries "rK" after its number, so a run after a switch sees every page
changed, each in every block (a site-wide template change). Pages are generated per request
from one template (a few string replacements), so 10,000 targets do not hold 1 GB of pages.

The server exits by itself after --lifetime seconds, or after --idle-exit seconds without
a request, or on SIGTERM/SIGINT, and then prints how many requests it served to stderr. When it listens on every port it writes
the URLs (one a line) to --urls-file and touches --ready-file.
"""

import argparse
import asyncio
import os
import random
import re
import signal
import sys
import time

ROOT_OPEN = '<div data-content-ref-root class="page-content">'
PAGINATION = '<div class="page-pagination">'
FIXTURE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "gitbook", "base.html"
)

TAG = re.compile(r"<[^>]*>")
BLOCK_TAG = re.compile(r"^<(p|h2|h3|li)[\s>]")


def split_fixture(html):
    start = html.index(ROOT_OPEN) + len(ROOT_OPEN)
    pag = html.index(PAGINATION)
    end = html.rindex("</div>", 0, pag)
    return html[:start], html[start:end], html[end:]


def numbered_copy(doc, copy):
    """The document with ids made unique and every block prefixed by "§page.copy.block", the
    page number and the revision left as placeholders (PAGE, REV)."""
    out = []
    pos = 0
    block = 0
    for m in TAG.finditer(doc):
        out.append(doc[pos:m.start()])
        tag = m.group(0)
        tag = tag.replace('id="', f'id="p{PAGE}s{copy}-').replace('href="#', f'href="#p{PAGE}s{copy}-')
        out.append(tag)
        if BLOCK_TAG.match(tag):
            block += 1
            out.append(f"§{PAGE}.{copy}.{block} {REV}")
        pos = m.end()
    out.append(doc[pos:])
    return "".join(out)


PAGE = "\x00P\x00"
REV = "\x00R\x00"


class Pages:
    """Every page of one size, built on request from one template."""

    def __init__(self, n, kb):
        with open(FIXTURE, encoding="utf-8") as f:
            fixture = f.read()
        head, doc, tail = split_fixture(fixture)
        one = len(numbered_copy(doc, 0).replace(PAGE, "0").replace(REV, "").encode())
        fixed = len((head + tail).encode())
        copies = max(1, round((kb * 1000 - fixed) / one))
        body = head + "".join(numbered_copy(doc, c) for c in range(1, copies + 1)) + tail
        self.template = body.replace("<title>", f"<title>Page {PAGE} – ", 1)
        self.n = n
        self.rev = 0

    def __len__(self):
        return self.n

    def page(self, i):
        rev = f"r{self.rev} " if self.rev else ""
        return self.template.replace(PAGE, str(i)).replace(REV, rev).encode("utf-8")


class Server:
    def __init__(self, pages, delay):
        self.pages = pages
        self.delay = delay
        self.requests = 0
        self.bytes = 0
        self.connections = 0
        self.last_activity = time.monotonic()

    async def handle(self, reader, writer):
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                    return
                self.last_activity = time.monotonic()
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                method = parts[0] if parts else ""
                path = parts[1] if len(parts) > 1 else "/"
                version = parts[2] if len(parts) > 2 else "HTTP/1.0"
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                conn = headers.get("connection", "").lower()
                keep = (version == "HTTP/1.1" and conn != "close") or conn == "keep-alive"

                if path == "/stats":
                    stats = (
                        f'{{"requests": {self.requests}, "bytes": {self.bytes}, "connections": {self.connections}}}\n'
                    ).encode()
                    self.requests = self.bytes = 0
                    self.connections = 1
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(stats)}\r\n"
                        f"Connection: close\r\n\r\n".encode() + stats
                    )
                    await writer.drain()
                    return
                rev = re.fullmatch(r"/rev/(\d+)", path)
                if rev:
                    self.pages.rev = int(rev.group(1))
                    msg = f"revision {self.pages.rev}\n".encode()
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len(msg)}\r\n"
                        f"Connection: close\r\n\r\n".encode() + msg
                    )
                    await writer.drain()
                    return
                body = None
                m = re.fullmatch(r"/p/(\d+)/?", path.split("?", 1)[0])
                if m and int(m.group(1)) < len(self.pages):
                    body = self.pages.page(int(m.group(1)))
                await asyncio.sleep(self.delay)
                if body is None:
                    status, body, ctype = "404 Not Found", b"not found\n", "text/plain"
                else:
                    status, ctype = "200 OK", "text/html; charset=utf-8"
                out = (
                    f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(body)}\r\n"
                    f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n"
                ).encode()
                if method != "HEAD":
                    out += body
                writer.write(out)
                await writer.drain()
                self.requests += 1
                self.bytes += len(out)
                if not keep:
                    return
        finally:
            try:
                writer.close()
            except Exception:
                pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ports", type=int, default=30)
    ap.add_argument("--base-port", type=int, default=0, help="first port; 0: a random free range")
    ap.add_argument("--targets", type=int, default=300)
    ap.add_argument("--kb", type=float, default=100)
    ap.add_argument("--delay-ms", type=float, default=50)
    ap.add_argument("--lifetime", type=float, default=600, help="exit after this many seconds")
    ap.add_argument("--idle-exit", type=float, default=120, help="exit after this many seconds without a request")
    ap.add_argument("--urls-file")
    ap.add_argument("--ready-file")
    a = ap.parse_args()

    t0 = time.monotonic()
    pages = Pages(a.targets, a.kb)
    srv = Server(pages, a.delay_ms / 1000)
    servers = []
    # --base-port 0: the first random range of --ports free ports.
    for attempt in range(50):
        base = a.base_port or random.randrange(20000, 60000 - a.ports)
        try:
            for p in range(a.ports):
                servers.append(await asyncio.start_server(srv.handle, "127.0.0.1", base + p, backlog=512))
            break
        except OSError:
            for s in servers:
                s.close()
            servers = []
            if a.base_port or attempt == 49:
                raise
    a.base_port = base
    urls = [f"http://127.0.0.1:{a.base_port + i % a.ports}/p/{i}" for i in range(a.targets)]
    if a.urls_file:
        with open(a.urls_file, "w") as f:
            f.write("\n".join(urls) + "\n")
    avg = len(pages.page(0))
    print(
        f"server: {a.targets} pages of {avg / 1000:.1f} KB avg on ports {a.base_port}-{a.base_port + a.ports - 1}, "
        f"delay {a.delay_ms:g} ms, ready in {time.monotonic() - t0:.2f}s (pid {os.getpid()})",
        file=sys.stderr,
        flush=True,
    )
    if a.ready_file:
        open(a.ready_file, "w").close()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=1)
        except asyncio.TimeoutError:
            pass
        now = time.monotonic()
        if now - started > a.lifetime:
            print(f"server: lifetime of {a.lifetime:g}s over, exiting", file=sys.stderr)
            break
        if now - srv.last_activity > a.idle_exit:
            print(f"server: no request for {a.idle_exit:g}s, exiting", file=sys.stderr)
            break
    for s in servers:
        s.close()
    print(
        f"server: served {srv.requests} requests, {srv.bytes / 1e6:.1f} MB, {srv.connections} connections",
        file=sys.stderr,
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
