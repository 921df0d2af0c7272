#!/usr/bin/env python3
"""Times one failover for scripts/bench-footprint.sh: from the deletion of the leader key to the
first /primary 200 on another member, both seen by this one process on one monotonic clock.

usage: promote-probe.py ETCD KEY URL [URL ...]   (ETCD: http://host:port or host:port)

It watches KEY through etcd's JSON gateway (POST /v3/watch, a stream), prints "ready" once the watch
is in place, and when a DELETE of KEY arrives it asks every URL (a member's /primary) in turn, a
fresh connection each time, every 10 ms (a poll costs the members CPU too), until one answers 200; it prints the seconds in between (and
on a second line both wall-clock times) and exits 0. An etcdctl watch piped to `date` lags the event by 10-100 ms and a curl per poll costs a
process start, which is why this is a program of its own. Exits 1 when no DELETE is seen or no 200
follows within 90 s of it (or of the start), 2 on bad arguments.
"""
import base64
import http.client
import json
import sys
import threading
import time
import urllib.parse

POLL_S = 0.01
LIMIT_S = 90.0


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    etcd = urllib.parse.urlsplit(argv[1] if "://" in argv[1] else "http://" + argv[1])
    key = argv[2].encode()
    urls = [urllib.parse.urlsplit(u) for u in argv[3:]]
    if etcd.scheme != "http" or not etcd.hostname or any(u.scheme != "http" or not u.hostname for u in urls):
        print("promote-probe: only http:// URLs with a host: " + " ".join(argv[1:]), file=sys.stderr)
        return 2
    deleted = threading.Event()
    at = {}

    def watch():
        conn = http.client.HTTPConnection(etcd.hostname, etcd.port or 2379, timeout=LIMIT_S)
        body = json.dumps({"create_request": {"key": base64.b64encode(key).decode()}})
        conn.request("POST", "/v3/watch", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            print("promote-probe: etcd watch answered %d" % resp.status, file=sys.stderr)
            deleted.set()
            return
        while True:
            line = resp.readline()
            if not line:
                deleted.set()
                return
            now = time.monotonic()
            wall = time.time()
            try:
                result = json.loads(line).get("result", {})
            except ValueError:
                continue
            if result.get("created"):
                print("ready", flush=True)
            for ev in result.get("events", []):
                if ev.get("type") == "DELETE":
                    at["deleted"] = now
                    at["deleted_wall"] = wall
                    deleted.set()
                    return

    threading.Thread(target=watch, daemon=True).start()
    if not deleted.wait(LIMIT_S) or "deleted" not in at:
        print("promote-probe: no DELETE of %s seen" % argv[2], file=sys.stderr)
        return 1
    while time.monotonic() - at["deleted"] < LIMIT_S:
        for u in urls:
            conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=0.2)
            try:
                conn.request("GET", u.path or "/")
                status = conn.getresponse().status
            except OSError:
                status = 0
            finally:
                conn.close()
            if status == 200:
                print("%.3f" % (time.monotonic() - at["deleted"]))
                # The wall clock too, to find the failover in the members' logs.
                print("deleted at %.3f, %s answered 200 at %.3f" % (at["deleted_wall"], u.geturl(), time.time()),
                      flush=True)
                return 0
        time.sleep(POLL_S)
    print("promote-probe: no /primary 200 within %d s of the deletion" % LIMIT_S, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
