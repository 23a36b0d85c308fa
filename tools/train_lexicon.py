#!/usr/bin/env python3
"""train_lexicon.py — learns a small supplementary lexicon (whole words with integer weights) from
the TRAIN split of the labeled reference data, and writes it as an ordinary lexicon file that the
rule engine scores like any hand-written term (bp-rules explain shows each learned word).

The learned file backs off to the hand-written lexicon: its language id is "<lang>-learned", so
when a learned word and a hand-written term cover the same span the hand-written one wins, and
words the hand-written lexicon already matches are not learned at all.

Model: for every word w (lower-cased, ё->е, at least 3 letters, not part of a brand name) with
at least --min-count (post, brand) pairs in the train split, the share of negative and of positive
labels among those pairs, smoothed towards the prior (add-k); a word becomes a negative term when
its smoothed negative share is at least --neg-share (weight -1, or -2 at --neg-share2), a
positive term likewise with --pos-share/--pos-share2. Shares are computed over distinct texts
(retweets counted once).

  python3 tools/train_lexicon.py --set sentirueval --out rules/lexicon/ru-learned.yaml
  python3 tools/train_lexicon.py --set airline --out rules/lexicon/en-learned.yaml
  python3 tools/train_lexicon.py --set sentirueval --cv     # 2-fold check on train, no file

The default thresholds suit SentiRuEval's label shares (about 32% negative, 12% positive pairs);
for a set where most pairs are negative (the airline set: 63%) raise --neg-share accordingly.
Standard library only.
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_quality as ev  # noqa: E402

REPO = ev.REPO
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
URL = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")
RT = re.compile(r"^\s*rt\s+@\w+:?\s*", re.I)


def norm(text):
    return URL.sub(" ", RT.sub("", text.lower().replace("ё", "е")))


def words(text):
    return set(WORD.findall(norm(text)))


def hand_matcher(rules):
    """A regex that matches the words the hand-written lexicons and the brand files already cover
    (approximately: terms, stems and brand variants), so that they are not learned again."""
    alts = []
    for sub in ("lexicon", "brands"):
        d = os.path.join(rules, sub)
        for fn in sorted(os.listdir(d)):
            if not fn.endswith(".yaml") or "-learned" in fn:
                continue
            for line in open(os.path.join(d, fn), encoding="utf-8"):
                m = (re.search(r'term: "([^"]+)"', line) or re.match(r'\s+- "([^"]+)"\s*$', line)
                     or re.match(r"\s+- ([^{'\"#][^#]*?)\s*$", line))
                if not m:
                    continue
                t = m.group(1).strip().lower().replace("ё", "е")
                if " " in t or not t or t.startswith(("\\", "(", "@", "#")):
                    continue
                stem = t.rstrip("*!")
                if len(stem) < 2 or not re.fullmatch(r"[^\W\d_][\w'-]*", stem):
                    continue
                alts.append(re.escape(stem) + (r"\w*" if t.endswith("*") else r"(?:\w{0,3})"))
    return re.compile(r"^(?:%s)$" % "|".join(sorted(set(alts), key=len, reverse=True)))


def pairs_of(posts, gold):
    """[(text, label)] for labeled pairs, one per distinct normalized text and label."""
    text = {p["id"]: p["text"] for p in posts}
    seen, out = set(), []
    for (pid, _b), lab in gold.items():
        if lab not in ev.LABELS:
            continue
        key = (norm(text[pid]).strip(), lab)
        if key in seen:
            continue
        seen.add(key)
        out.append((text[pid], lab))
    return out


def proper_nouns(pairs):
    """Words written with a capital letter in most of their non-initial occurrences: names of
    places, people and companies, which describe the news of the period rather than sentiment."""
    cap, low = collections.Counter(), collections.Counter()
    for t, _lab in pairs:
        toks = WORD.findall(URL.sub(" ", RT.sub("", t)))
        for i, w in enumerate(toks):
            if i == 0:
                continue
            (cap if w[0].isupper() else low)[w.lower().replace("ё", "е")] += 1
    return {w for w in cap if cap[w] > low[w]}


def learn(pairs, covered, a, halves=None):
    """halves: optional (pairs_first, pairs_second) in time; a word is learned only if it leans
    the same way in both (a guard against the news topics of one period)."""
    n = collections.Counter()
    c = collections.defaultdict(collections.Counter)
    names = proper_nouns(pairs)
    for t, lab in pairs:
        n[lab] += 1
        for w in words(t):
            c[w][lab] += 1
    hc = []
    for hp in halves or ():
        x = collections.defaultdict(collections.Counter)
        for t, lab in hp:
            for w in words(t):
                x[w][lab] += 1
        hc.append(x)
    tot = sum(n.values())
    prior = {k: n[k] / tot for k in ev.LABELS}
    k = a.smooth
    neg, pos = {}, {}
    for w, cc in c.items():
        m = sum(cc.values())
        if m < a.min_count or covered.match(w) or w in names:
            continue
        sn = (cc["negative"] + k * prior["negative"]) / (m + k)
        sp = (cc["positive"] + k * prior["positive"]) / (m + k)
        if hc:
            lean = []
            for x in hc:
                hm = sum(x[w].values())
                lean.append(((x[w]["negative"] + k * prior["negative"]) / (hm + k),
                             (x[w]["positive"] + k * prior["positive"]) / (hm + k), hm))
            if any(hm < 2 for _n, _p, hm in lean):
                continue
            if sn >= a.neg_share and any(ln < (a.neg_share + prior["negative"]) / 2 for ln, _p, _m in lean):
                continue
            if sp >= a.pos_share and any(lp < (a.pos_share + prior["positive"]) / 2 for _n, lp, _m in lean):
                continue
        if sn >= a.neg_share:
            neg[w] = (-2 if sn >= a.neg_share2 else -1, m, sn)
        elif sp >= a.pos_share:
            pos[w] = (2 if sp >= a.pos_share2 else 1, m, sp)
    return neg, pos


def write(path, lang, source, neg, pos, a):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Learned supplementary %s lexicon: whole words and weights learned from the train split of\n"
                "# %s by tools/train_lexicon.py (%s); regenerate rather than edit.\n"
                "# Hand-written terms (lexicon/%s.yaml) win where both match the same words.\n"
                "# Settings: min_count %d, smooth %g, neg_share %g/%g, pos_share %g/%g.\n"
                % (lang, source, time.strftime("%Y-%m-%d"), lang, a.min_count, a.smooth,
                   a.neg_share, a.neg_share2, a.pos_share, a.pos_share2))
        f.write("language: %s-learned\n" % lang)
        for name, d in (("negative", neg), ("positive", pos)):
            f.write("%s:\n" % name)
            if not d:
                f.write("  []\n")
            for w, (wt, m, s) in sorted(d.items(), key=lambda kv: (kv[1][0] if name == "negative" else -kv[1][0], -kv[1][1], kv[0])):
                f.write('  - {term: "%s", weight: %d}   # %d pairs, share %.2f\n' % (w, wt, m, s))


def fold_of(posts, by_time):
    """post id -> fold 0/1: a hash of the id, or (by_time) the first and second half in time, a
    harder check of whether learned words carry over to a later period."""
    if not by_time:
        return {p["id"]: zlib.crc32(p["id"].encode()) % 2 for p in posts}
    ts = sorted(p["published_at"] for p in posts)
    mid = ts[len(ts) // 2]
    return {p["id"]: int(p["published_at"] >= mid) for p in posts}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    ap.add_argument("--set", choices=("sentirueval", "airline"), required=True)
    ap.add_argument("--rules", default=os.path.join(REPO, "rules"))
    ap.add_argument("--bin", default=os.path.join(REPO, "bin", "bp-filter"))
    ap.add_argument("--out", help="lexicon file to write")
    ap.add_argument("--cv", action="store_true", help="2-fold cross-validation on train, prints F1")
    ap.add_argument("--cv-time", action="store_true", help="with --cv: folds are the two halves in time")
    ap.add_argument("--stable", action="store_true",
                    help="learn only words that lean the same way in both halves of train in time")
    ap.add_argument("--min-count", type=int, default=4)
    ap.add_argument("--smooth", type=float, default=4.0)
    ap.add_argument("--neg-share", type=float, default=0.7)
    ap.add_argument("--neg-share2", type=float, default=0.85)
    ap.add_argument("--pos-share", type=float, default=0.4)
    ap.add_argument("--pos-share2", type=float, default=0.7)
    a = ap.parse_args()
    loader, lang, ids, source = {
        "sentirueval": (ev.load_sentirueval, "ru", set(ev.SENTIRUEVAL_BRANDS.values()), "SentiRuEval-2015"),
        "airline": (ev.load_airline, "en", set(ev.AIRLINE_BRANDS.values()), "Twitter US Airline Sentiment"),
    }[a.set]
    posts, gold = loader(a.data, "train")  # the train split only, always
    covered = hand_matcher(a.rules)
    if a.cv:
        f = fold_of(posts, a.cv_time)
        fold = f.__getitem__
        scores = []
        for k in (0, 1):
            tr_posts = [p for p in posts if fold(p["id"]) != k]
            te_posts = [p for p in posts if fold(p["id"]) == k]
            tr_gold = {x: v for x, v in gold.items() if fold(x[0]) != k}
            te_gold = {x: v for x, v in gold.items() if fold(x[0]) == k}
            neg, pos = learn(pairs_of(tr_posts, tr_gold), covered, a)
            tmp = tempfile.mkdtemp(prefix="bp-learn-")
            try:
                shutil.copytree(a.rules, os.path.join(tmp, "rules"))
                for fn in os.listdir(os.path.join(tmp, "rules", "lexicon")):
                    if "-learned" in fn:
                        os.unlink(os.path.join(tmp, "rules", "lexicon", fn))
                base = ev.run_filter(a.bin, os.path.join(tmp, "rules"), te_posts)
                write(os.path.join(tmp, "rules", "lexicon", lang + "-learned.yaml"), lang, source, neg, pos, a)
                with_l = ev.run_filter(a.bin, os.path.join(tmp, "rules"), te_posts)
            finally:
                shutil.rmtree(tmp)
            devnull = open(os.devnull, "w")
            so = sys.stdout
            sys.stdout = devnull
            try:
                r0 = ev.evaluate("fold%d-base" % k, te_posts, te_gold, base, ids, 0, None)
                r1 = ev.evaluate("fold%d-learned" % k, te_posts, te_gold, with_l, ids, 0, None)
            finally:
                sys.stdout = so
                devnull.close()
            print("fold %d: %d negative + %d positive words; macro F1 %.4f -> %.4f"
                  % (k, len(neg), len(pos), r0["macro_f1"], r1["macro_f1"]))
            scores.append((r0["macro_f1"], r1["macro_f1"]))
        print("mean macro F1: %.4f -> %.4f" % (sum(s[0] for s in scores) / 2, sum(s[1] for s in scores) / 2))
    if a.out:
        halves = None
        if a.stable:
            f = fold_of(posts, True)
            halves = tuple(pairs_of([p for p in posts if f[p["id"]] == h],
                                    {x: v for x, v in gold.items() if f[x[0]] == h}) for h in (0, 1))
        neg, pos = learn(pairs_of(posts, gold), covered, a, halves)
        write(a.out, lang, source, neg, pos, a)
        print("%s: %d negative, %d positive words" % (a.out, len(neg), len(pos)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
