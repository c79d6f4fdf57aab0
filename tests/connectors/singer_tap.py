#!/usr/bin/python3
"""A Singer tap for ingestd's tests (standard library only).

Streams: users (incremental on updated_at, key id) and orders (full table,
sent between two ACTIVATE_VERSION messages). Config keys:
  users, orders       how many records each stream has (default 100, 10)
  updated_shift       seconds added to every user's updated_at (changes rows)
  state_every         a STATE after this many records (default 25)
  crash_after         exit 1 after this many records, once: only while the
                      file named by crash_marker exists (it is removed)
  malformed_after     print a line that is not JSON after this many records
  new_column_after    from this record on, users carry a "score" key and a
                      second SCHEMA names it
  api_token           printed in a METRIC line on stderr, as careless taps do
  delay_ms            sleep this long before each record (a slow source)
  echo_config         print the whole config as JSON on stderr (secrets escaped)
  echo_env            print this environment variable on stderr
"""
import argparse
import datetime
import json
import os
import sys
import time

BASE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

USERS_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": ["null", "string"]},
        "updated_at": {"type": "string", "format": "date-time"},
        "tags": {"type": ["null", "array"], "items": {"type": "string"}},
    },
}
ORDERS_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "user_id": {"type": "integer"},
        "amount": {"type": "number"},
        "day": {"type": "string", "format": "date"},
    },
}


def catalog():
    return {"streams": [
        {"tap_stream_id": "users", "stream": "users", "schema": USERS_SCHEMA, "key_properties": ["id"],
         "metadata": [{"breadcrumb": [], "metadata": {"table-key-properties": ["id"],
                                                      "valid-replication-keys": ["updated_at"]}}]},
        {"tap_stream_id": "orders", "stream": "orders", "schema": ORDERS_SCHEMA, "key_properties": ["id"],
         "metadata": [{"breadcrumb": [], "metadata": {"table-key-properties": ["id"],
                                                      "forced-replication-method": "FULL_TABLE"}}]},
    ]}


out = sys.stdout


def emit(message):
    out.write(json.dumps(message, separators=(",", ":")) + "\n")


def selected(cat):
    chosen = {}
    for entry in cat["streams"]:
        md = {}
        for m in entry.get("metadata", []):
            if m.get("breadcrumb") == []:
                md = m.get("metadata", {})
        if md.get("selected") or entry.get("selected"):
            chosen[entry["tap_stream_id"]] = md
    return chosen


class Tap:
    def __init__(self, config):
        self.config = config
        self.sent = 0

    def record(self, stream, rec):
        c = self.config
        if c.get("crash_after") is not None and self.sent >= c["crash_after"]:
            marker = c.get("crash_marker")
            if marker and os.path.exists(marker):
                os.remove(marker)
                out.flush()
                sys.stderr.write("tap: simulated crash after %d records\n" % self.sent)
                sys.exit(1)
        if c.get("delay_ms"):
            out.flush()
            time.sleep(c["delay_ms"] / 1000)
        if c.get("malformed_after") is not None and self.sent == c["malformed_after"]:
            out.write("this is not a Singer message\n")
        emit({"type": "RECORD", "stream": stream, "record": rec,
              "time_extracted": BASE.isoformat().replace("+00:00", "Z")})
        self.sent += 1

    def users(self, md, state):
        c = self.config
        incremental = md.get("replication-method") == "INCREMENTAL"
        bookmark = state.get("bookmarks", {}).get("users", {}).get("updated_at") if incremental else None
        emit({"type": "SCHEMA", "stream": "users", "schema": USERS_SCHEMA, "key_properties": ["id"],
              "bookmark_properties": ["updated_at"]})
        every = c.get("state_every", 25)
        shift = c.get("updated_shift", 0)
        new_column_after = c.get("new_column_after")
        last = bookmark
        for i in range(1, c.get("users", 100) + 1):
            at = (BASE + datetime.timedelta(seconds=i + shift)).strftime("%Y-%m-%dT%H:%M:%SZ")
            if bookmark is not None and at < bookmark:
                continue
            rec = {"id": i, "name": "user %d" % i, "updated_at": at, "tags": ["t%d" % (i % 3)]}
            if new_column_after is not None and i == new_column_after:
                schema = json.loads(json.dumps(USERS_SCHEMA))
                schema["properties"]["score"] = {"type": ["null", "number"]}
                emit({"type": "SCHEMA", "stream": "users", "schema": schema, "key_properties": ["id"]})
            if new_column_after is not None and i >= new_column_after:
                rec["score"] = i / 2
            self.record("users", rec)
            last = at
            if self.sent % every == 0:
                emit({"type": "STATE", "value": {"bookmarks": {"users": {"updated_at": last}}}})
        if last is not None:
            emit({"type": "STATE", "value": {"bookmarks": {"users": {"updated_at": last}}}})

    def orders(self):
        version = int(BASE.timestamp())
        emit({"type": "SCHEMA", "stream": "orders", "schema": ORDERS_SCHEMA, "key_properties": ["id"]})
        emit({"type": "ACTIVATE_VERSION", "stream": "orders", "version": version})
        for i in range(1, self.config.get("orders", 10) + 1):
            day = (BASE + datetime.timedelta(days=i % 28)).strftime("%Y-%m-%d")
            self.record("orders", {"id": i, "user_id": i % 7 + 1, "amount": i * 1.25, "day": day})
        emit({"type": "ACTIVATE_VERSION", "stream": "orders", "version": version})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--discover", action="store_true")
    p.add_argument("--catalog")
    p.add_argument("--properties")
    p.add_argument("--state")
    a = p.parse_args()
    with open(a.config) as f:
        config = json.load(f)
    sys.stderr.write("INFO tap starting\n")
    if config.get("api_token"):
        sys.stderr.write('INFO METRIC: {"type": "counter", "metric": "http_request_count", "value": 1, '
                         '"tags": {"url": "https://api.example.com/users?access_token=%s"}}\n' % config["api_token"])
    if config.get("echo_config"):
        sys.stderr.write("INFO config: %s\n" % json.dumps(config))
    if config.get("echo_env"):
        sys.stderr.write("INFO env: %s=%s\n" % (config["echo_env"], os.environ.get(config["echo_env"], "")))
    if config.get("invocations"):
        with open(config["invocations"], "a") as f:
            f.write("discover\n" if a.discover else "read\n")
    if a.discover:
        json.dump(catalog(), out, indent=2)
        out.write("\n")
        return
    cat = catalog()
    if a.catalog or a.properties:
        with open(a.catalog or a.properties) as f:
            cat = json.load(f)
    state = {}
    if a.state:
        with open(a.state) as f:
            state = json.load(f)
        sys.stderr.write("INFO resuming from %s\n" % json.dumps(state))
    tap = Tap(config)
    chosen = selected(cat)
    if "users" in chosen:
        tap.users(chosen["users"], state)
    if "orders" in chosen:
        tap.orders()
    out.flush()


if __name__ == "__main__":
    main()
