#!/usr/bin/env python3
"""expected_alerts.py N [START] — "id/brand" of the alerts gen_posts.py's posts must give."""
import sys
n = int(sys.argv[1]); start = int(sys.argv[2]) if len(sys.argv) > 2 else 1
for i in range(start, start + n):
    if i % 3 == 0:
        print(f"it:{i}/acmebank")
