#!/usr/bin/python3
"""A REST API for ingestd's tests and benchmarks, on 127.0.0.1.

It serves the same records through every pagination style, behind every auth
kind, speaks GitHub's conventions under /repos, fails on demand, and writes
what it saw to a stats file after every request.

  api_server.py --port-file F [--data F] [--items N] [--stats F]
                [--fault JSON]... [--token-ttl S]
                [--github-quota N] [--delay-ms N]

--data       a JSON file {"items": [...], "github": {"owner/repo": {"issues": [...]}}},
             read again whenever it changes (tests edit it between runs)
--items      generate N items instead
--fault      JSON {"path", "status", "retry_after", "count", "after"}: after `after`
             requests to path (default 0), the next `count` (default 1, -1: all)
             answer `status`, with Retry-After when given ("1", or "date:S" for an
             HTTP date S seconds ahead)
--token-ttl  OAuth2 tokens expire after S seconds (expires_in), and are refused after
--github-quota  requests allowed per quota window under /repos; then 403 until the reset
Pagination styles, all over the items sorted by (updated_at, id), filtered by
?updated_since=:
  /page/items?page=N&per_page=K      {"data": [...], "total": T}
  /offset/items?offset=N&limit=K     {"results": [...], "count": T}
  /cursor/items?cursor=C&limit=K     {"data": [...], "next_cursor": C | null}
  /link/items?page=N&per_page=K      [...] with Link: <...>; rel="next"
  /next/items?page=N&per_page=K      {"items": [...], "links": {"next": URL | null}}
Auth (page style): /auth/bearer/items, /auth/basic/items, /auth/apikey/items
(X-API-Key header), /auth/apikey-query/items (?api_key=), /auth/oauth2/items
(tokens from POST /oauth/token), /auth/hmac/items (X-Timestamp, X-Signature).
"""
import argparse
import base64
import email.utils
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BEARER_TOKEN = "t0ken-secret"
BASIC_USER, BASIC_PASSWORD = "alice", "s3cret-pw"
API_KEY = "k3y-secret"
CLIENT_ID, CLIENT_SECRET = "ingestd-client", "c1ient-secret"
HMAC_SECRET = "hm4c-secret"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.data = {"items": [], "github": {}}
        self.data_mtime = None
        self.items_sorted = []
        if args.items:
            self.data["items"] = [
                {
                    "id": i,
                    "name": "item %d" % i,
                    "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1767225600 + i)),
                    "amount": i * 1.25,
                    "active": i % 3 == 0,
                    "tags": ["t%d" % (i % 5)],
                }
                for i in range(1, args.items + 1)
            ]
            self.sort_items()
        # Each fault: {"path", "status", "retry_after" (optional), "count" (-1: all), "after"
        # (requests to let through first)}.
        self.faults = [json.loads(f) for f in args.fault or []]
        for f in self.faults:
            f.setdefault("count", 1)
            f.setdefault("after", 0)
            f.setdefault("seen", 0)
        self.tokens = {}  # token -> expiry (time.time())
        self.quota_left = args.github_quota
        self.quota_reset = 0
        self.stats = {"requests": {}, "statuses": {}, "tokens_issued": 0, "unauthorized": 0,
                      "queries": [], "retry_after_sent": 0}
        self.cache = {}

    def sort_items(self):
        self.items_sorted = sorted(self.data["items"], key=lambda r: (r.get("updated_at") or "", r.get("id") or 0))
        self.cache = {}

    def reload(self):
        path = self.args.data
        if not path:
            return
        mtime = os.stat(path).st_mtime_ns
        if mtime != self.data_mtime:
            with open(path) as f:
                self.data = json.load(f)
            self.data.setdefault("items", [])
            self.data.setdefault("github", {})
            self.data_mtime = mtime
            self.sort_items()

    def write_stats(self):
        if not self.args.stats:
            return
        tmp = self.args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.stats, f)
        os.replace(tmp, self.args.stats)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    # --- plumbing -------------------------------------------------------
    def send_json(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        st = self.server.state
        with st.lock:  # before the answer, so that a client that got it sees it counted
            st.stats["statuses"][str(status)] = st.stats["statuses"].get(str(status), 0) + 1
            st.write_stats()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.handle_request("GET", b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.handle_request("POST", self.rfile.read(length) if length else b"")

    def handle_request(self, method, body):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query))
        with st.lock:
            st.stats["requests"][path] = st.stats["requests"].get(path, 0) + 1
            st.stats["queries"].append(self.path)
            st.reload()
            fault = None
            for f in st.faults:
                if f["path"] != path:
                    continue
                f["seen"] += 1
                if f["seen"] > f["after"] and (f["count"] < 0 or f["seen"] <= f["after"] + f["count"]):
                    fault = fault or f
        if st.args.delay_ms:
            time.sleep(st.args.delay_ms / 1000.0)
        if fault:
            headers = {}
            ra = fault.get("retry_after")
            if ra:
                if ra.startswith("date:"):
                    ra = email.utils.formatdate(time.time() + int(ra[5:]), usegmt=True)
                headers["Retry-After"] = ra
                with st.lock:
                    st.stats["retry_after_sent"] += 1
            return self.send_json(fault["status"], {"error": "injected failure %d" % fault["status"]}, headers)
        if method == "POST" and path == "/oauth/token":
            return self.oauth_token(body)
        if path.startswith("/auth/"):
            kind = path.split("/")[2]
            why = self.auth_refusal(kind, method, body, query)
            if why:
                with st.lock:
                    st.stats["unauthorized"] += 1
                return self.send_json(401, {"error": why})
            return self.items_page(query, style="page")
        if path.startswith("/repos/"):
            return self.github(path, query)
        style = path.strip("/").split("/")[0]
        if path.endswith("/items") and style in ("page", "offset", "cursor", "link", "next"):
            return self.items_page(query, style)
        return self.send_json(404, {"error": "no route " + path})

    # --- auth -------------------------------------------------------------
    def oauth_token(self, body):
        st = self.server.state
        form = dict(urllib.parse.parse_qsl(body.decode()))
        cid, csecret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            cid, csecret = urllib.parse.unquote(user), urllib.parse.unquote(pw)
        if form.get("grant_type") != "client_credentials" or cid != CLIENT_ID or csecret != CLIENT_SECRET:
            return self.send_json(401, {"error": "invalid_client"})
        token = secrets.token_hex(8)
        ttl = st.args.token_ttl
        with st.lock:
            st.tokens[token] = time.time() + ttl
            st.stats["tokens_issued"] += 1
        return self.send_json(200, {"access_token": token, "token_type": "Bearer", "expires_in": ttl})

    def auth_refusal(self, kind, method, body, query):
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        if kind == "bearer":
            return None if auth == "Bearer " + BEARER_TOKEN else "bad bearer token"
        if kind == "basic":
            expected = "Basic " + base64.b64encode(("%s:%s" % (BASIC_USER, BASIC_PASSWORD)).encode()).decode()
            return None if auth == expected else "bad basic credentials"
        if kind == "apikey":
            return None if self.headers.get("X-API-Key") == API_KEY else "bad api key"
        if kind == "apikey-query":
            return None if query.get("api_key") == API_KEY else "bad api key"
        if kind == "oauth2":
            token = auth[7:] if auth.startswith("Bearer ") else ""
            with st.lock:
                expiry = st.tokens.get(token)
            if expiry is None:
                return "unknown token"
            return None if time.time() < expiry else "token expired"
        if kind == "hmac":
            ts = self.headers.get("X-Timestamp", "")
            sig = self.headers.get("X-Signature", "")
            if not ts.isdigit() or abs(time.time() - int(ts)) > 300:
                return "stale or missing timestamp"
            message = ("%s\n%s\n%s\n" % (ts, method, self.path)).encode() + body
            expected = hmac.new(HMAC_SECRET.encode(), message, hashlib.sha256).hexdigest()
            return None if hmac.compare_digest(sig, expected) else "bad signature"
        return "unknown auth kind " + kind

    # --- items ------------------------------------------------------------
    def selected_items(self, query):
        st = self.server.state
        items = st.items_sorted
        since = query.get("updated_since")
        if since:
            items = [r for r in items if (r.get("updated_at") or "") >= since]
        return items

    def items_page(self, query, style):
        st = self.server.state
        key = (style, self.path.split("?")[0], tuple(sorted(query.items())))
        with st.lock:
            cached = st.cache.get(key)
        if cached:
            return self.send_json(200, cached[0], cached[1])
        items = self.selected_items(query)
        size = int(query.get("per_page") or query.get("limit") or 10)
        headers = {}
        base = "http://127.0.0.1:%d%s" % (self.server.server_port, self.path.split("?")[0])
        if style == "page":
            page = int(query.get("page") or 1)
            body = {"data": items[(page - 1) * size: page * size], "total": len(items)}
        elif style == "offset":
            offset = int(query.get("offset") or 0)
            body = {"results": items[offset: offset + size], "count": len(items)}
        elif style == "cursor":
            start = int(base64.b64decode(query["cursor"]).decode()) if query.get("cursor") else 0
            chunk = items[start: start + size]
            more = start + size < len(items)
            token = base64.b64encode(str(start + size).encode()).decode() if more else None
            body = {"data": chunk, "next_cursor": token}
        elif style == "link":
            page = int(query.get("page") or 1)
            body = items[(page - 1) * size: page * size]
            if page * size < len(items):
                rest = {k: v for k, v in query.items() if k != "page"}
                rest["page"] = page + 1
                headers["Link"] = '<%s?%s>; rel="next", <%s?page=1>; rel="first"' % (
                    base, urllib.parse.urlencode(rest), base)
        else:  # next
            page = int(query.get("page") or 1)
            nxt = None
            if page * size < len(items):
                rest = {k: v for k, v in query.items() if k != "page"}
                rest["page"] = page + 1
                nxt = "/next/items?" + urllib.parse.urlencode(rest)
            body = {"items": items[(page - 1) * size: page * size], "links": {"next": nxt}}
        data = json.dumps(body).encode()
        with st.lock:
            st.cache[key] = (data, headers)
        return self.send_json(200, data, headers)

    # --- GitHub conventions -------------------------------------------------
    def github(self, path, query):
        st = self.server.state
        parts = path.strip("/").split("/")  # repos, owner, repo, kind
        if len(parts) != 4:
            return self.send_json(404, {"message": "Not Found"})
        if self.headers.get("Authorization") != "Bearer " + BEARER_TOKEN:
            return self.send_json(401, {"message": "Bad credentials"})
        headers = {}
        if st.args.github_quota:
            with st.lock:
                now = time.time()
                if now >= st.quota_reset:
                    st.quota_left = st.args.github_quota
                    st.quota_reset = int(now) + 2
                if st.quota_left <= 0:
                    return self.send_json(403, {"message": "API rate limit exceeded"},
                                          {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(st.quota_reset)})
                st.quota_left -= 1
                headers = {"x-ratelimit-remaining": str(st.quota_left), "x-ratelimit-reset": str(st.quota_reset)}
        repo = parts[1] + "/" + parts[2]
        kind = parts[3]
        records = st.data["github"].get(repo, {}).get(kind)
        if records is None:
            return self.send_json(404, {"message": "Not Found"})
        if kind in ("issues", "pulls"):
            records = sorted(records, key=lambda r: (r["updated_at"], r["id"]),
                             reverse=query.get("direction", "desc") == "desc")
            if kind == "issues" and query.get("since"):
                records = [r for r in records if r["updated_at"] >= query["since"]]
        elif kind == "commits":
            records = sorted(records, key=lambda r: r["commit"]["committer"]["date"], reverse=True)
            if query.get("since"):
                records = [r for r in records if r["commit"]["committer"]["date"] >= query["since"]]
        size = int(query.get("per_page") or 30)
        page = int(query.get("page") or 1)
        if page * size < len(records):
            rest = dict(query)
            rest["page"] = page + 1
            base = "http://127.0.0.1:%d%s" % (self.server.server_port, path)
            headers["Link"] = '<%s?%s>; rel="next"' % (base, urllib.parse.urlencode(rest))
        return self.send_json(200, records[(page - 1) * size: page * size], headers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--data")
    p.add_argument("--items", type=int, default=0)
    p.add_argument("--stats")
    p.add_argument("--fault", action="append")
    p.add_argument("--token-ttl", type=int, default=3600)
    p.add_argument("--github-quota", type=int, default=0)
    p.add_argument("--delay-ms", type=int, default=0)
    args = p.parse_args()
    # A test that dies without stopping the server must not leave it behind.
    parent = os.getppid()

    def exit_with_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=exit_with_parent, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_port))
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
