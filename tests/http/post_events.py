#!/usr/bin/python3
"""POSTs JSON events to a webhook concurrently, as producers would, and
reports what was accepted.

  post_events.py URL --count N [--concurrency C] [--per-request K] [--secret S]
                 [--first-id I] [--accepted-file F] [--no-retry] [--raw BODY]

Each event is {"event_id": "e<I>", "seq": I, "payload": {...}}. A request that
is not answered 2xx is sent again (unless --no-retry), as a producer would.
Prints {"accepted": n, "statuses": {...}, "seconds": s, "latency_p50": s,
"latency_p99": s, "latency_max": s} (per request sent, answer included);
--accepted-file gets the ids of every accepted event, one per line.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--per-request", type=int, default=1)
    p.add_argument("--secret")
    p.add_argument("--first-id", type=int, default=1)
    p.add_argument("--accepted-file")
    p.add_argument("--no-retry", action="store_true")
    p.add_argument("--raw", help="send this body once; print the status and the answer")
    a = p.parse_args()
    url = urllib.parse.urlsplit(a.url)
    if a.raw is not None:
        body = a.raw.encode()
        headers = {"Content-Type": "application/json"}
        if a.secret:
            headers["X-Signature"] = "sha256=" + hmac.new(a.secret.encode(), body, hashlib.sha256).hexdigest()
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        conn.request("POST", url.path, body, headers)
        resp = conn.getresponse()
        print(resp.status, resp.read().decode())
        return 0
    ids = list(range(a.first_id, a.first_id + a.count))
    chunks = [ids[i:i + a.per_request] for i in range(0, len(ids), a.per_request)]
    lock = threading.Lock()
    accepted, statuses, latencies = [], {}, []
    next_chunk = [0]

    def worker():
        conn = None
        while True:
            with lock:
                if next_chunk[0] >= len(chunks):
                    return
                chunk = chunks[next_chunk[0]]
                next_chunk[0] += 1
            events = [{"event_id": "e%d" % i, "seq": i, "payload": {"n": i, "tag": "t%d" % (i % 7)}} for i in chunk]
            body = json.dumps(events[0] if len(events) == 1 else events).encode()
            headers = {"Content-Type": "application/json"}
            if a.secret:
                headers["X-Signature"] = "sha256=" + hmac.new(a.secret.encode(), body, hashlib.sha256).hexdigest()
            for attempt in range(200):
                status = 0
                sent = time.monotonic()
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
                    conn.request("POST", url.path, body, headers)
                    resp = conn.getresponse()
                    resp.read()
                    status = resp.status
                except (OSError, http.client.HTTPException):
                    conn = None
                with lock:
                    latencies.append(time.monotonic() - sent)
                    statuses[str(status)] = statuses.get(str(status), 0) + 1
                    if 200 <= status < 300:
                        accepted.extend(chunk)
                if 200 <= status < 300 or a.no_retry:
                    break
                time.sleep(0.05)

    start = time.time()
    threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.time() - start
    if a.accepted_file:
        with open(a.accepted_file, "w") as f:
            f.write("".join("e%d\n" % i for i in sorted(accepted)))
    latencies.sort()

    def percentile(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0

    print(json.dumps({"accepted": len(accepted), "statuses": statuses, "seconds": seconds,
                      "latency_p50": percentile(0.5), "latency_p99": percentile(0.99),
                      "latency_max": latencies[-1] if latencies else 0}))


if __name__ == "__main__":
    sys.exit(main())
