#!/usr/bin/env python3
"""gen_posts.py N [START] — prints N test posts as JSONL; every third one should alert.
Post i: i%3==0 -> a complaint about AcmeBank (alert), 1 -> praise (mention, no alert),
2 -> about nothing (no mention). Ids are "it:<i>"."""
import json, sys
n = int(sys.argv[1]); start = int(sys.argv[2]) if len(sys.argv) > 2 else 1
texts = ["AcmeBank app is broken again, order {i}", "I love AcmeBank, thanks for {i}",
         "weather is nice today {i}"]
for i in range(start, start + n):
    print(json.dumps({"v": 1, "id": f"it:{i}", "source": "test", "feed": "it",
                      "url": f"https://example.test/{i}", "kind": "post",
                      "author": {"id": f"test:{i % 7}", "name": f"user{i % 7}", "followers": 100 + i},
                      "text": texts[i % 3].format(i=i), "lang": "en",
                      "published_at": "2026-11-22T10:00:00Z"}, ensure_ascii=False))
