#!/usr/bin/env python3
"""client.py URL SECRET — exercises bp-collect-webhook: signed single/array/JSONL posts, bad
signatures, stale and replayed timestamps, oversized and malformed bodies, concurrent clients.
Prints one line per check; exits 1 on the first unexpected answer. The ids of the accepted
posts are written to ids.txt in the working folder."""
import hashlib, hmac, json, sys, threading, time, urllib.request, urllib.error

url, secret = sys.argv[1], sys.argv[2].encode()
accepted = []
lock = threading.Lock()


def sign(ts, body):
    return "sha256=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()


def post(body, ts=None, sig=None, method="POST", path=None, headers=True):
    if isinstance(body, str):
        body = body.encode()
    ts = ts if ts is not None else str(int(time.time()))
    req = urllib.request.Request(path or url, data=body if method == "POST" else None, method=method)
    if headers:
        req.add_header("X-BP-Timestamp", ts)
        req.add_header("X-BP-Signature", sig if sig is not None else sign(ts, body))
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null"), (ts, body)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), (ts, body)


def expect(name, got, status, err_part=None):
    code, ans, _ = got
    ok = code == status and (err_part is None or err_part in (ans or {}).get("error", ""))
    print(("ok   " if ok else "FAIL ") + name + f": {code} {json.dumps(ans, ensure_ascii=False)[:200]}")
    if not ok:
        sys.exit(1)
    if code == 202:
        with lock:
            accepted.extend(ans["ids"])
    return got


one = expect("single post", post(json.dumps({"text": "Приватбанк не работает", "author": {"name": "Форма", "followers": 3}})), 202)
expect("array batch", post(json.dumps([{"id": "crm:1", "text": "a"}, {"id": "crm:2", "text": "b"}, {"id": 3, "text": "c", "source": "crm"}])), 202)
expect("JSON lines batch", post('{"text":"line one"}\n{"text":"line two","lang":"en"}\n'), 202)
expect("bad signature", post('{"text":"x"}', sig="sha256=" + "0" * 64), 401, "bad signature")
expect("unsigned", post('{"text":"x"}', headers=False), 401, "missing X-BP-Timestamp")
old = str(int(time.time()) - 3600)
expect("stale timestamp", post('{"text":"x"}', ts=old), 401, "away from now")
ts, body = one[2]
expect("replayed request", post(body, ts=ts, sig=sign(ts, body)), 401, "replayed")
expect("oversized body", post('{"text":"' + "я" * 6000 + '"}'), 413)
expect("not JSON", post("{nope"), 400, "not JSON")
expect("invalid post in a batch", post(json.dumps([{"text": "fine"}, {"id": "x:1"}])), 400, "post 2: field 'text'")
expect("bad published_at", post(json.dumps({"text": "t", "published_at": "yesterday"})), 400, "published_at")
expect("wrong method", post(b"", method="GET"), 405)
expect("wrong path", post('{"text":"x"}', path=url.rsplit("/", 2)[0] + "/nope"), 404)

errors = []


def worker(k):
    for j in range(5):
        lines = "\n".join(json.dumps({"id": f"load:{k}-{j}-{i}", "text": f"нагрузка {k} {j} {i}"}) for i in range(3))
        code, ans, _ = post(lines)
        if code != 202:
            errors.append((k, j, code, ans))
        else:
            with lock:
                accepted.extend(ans["ids"])


threads = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(("ok   " if not errors else "FAIL ") + f"16 concurrent clients x 5 requests: {len(errors)} errors {errors[:3]}")
if errors:
    sys.exit(1)
open("ids.txt", "w").write("\n".join(accepted) + "\n")
print(f"accepted {len(accepted)} posts")
