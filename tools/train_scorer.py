#!/usr/bin/env python3
"""train_scorer.py — trains the learned sentiment scorer (rules/model/sentiment-<lang>.yaml) from
the TRAIN split of the labeled reference data, choosing every setting by cross-validation on
train only.

Features come from the engine itself: `bp-rules features` (filters/learned.c) writes, for each
brand found in a post, the brand's lexicon score and the feature strings of its window (word
stems, stem bigrams, negated stems "!stem", emoticons ":)" ":(" and marks ":!" ":?", the brand's
own words as "<b>", other brands' as "<o>"). Nothing here re-implements them.

Model: one linear score per (post, brand), s = c*lex + sum of feature weights, read as an ordinal
scale negative < neutral < positive (all-threshold logistic loss, AdaGrad, L2), trained on
(post, brand) pairs whose brand the rules find. The file stores the weights divided by c, so
they are in lexicon points and the engine adds them to the brand's lexicon score:
combined = lexicon + blend * (bias + sum of weights); a combined score inside neutral_band is
neutral (0). The two thresholds (bias and band) maximise the macro F1 of the positive and negative
classes on out-of-fold predictions; then the model is refitted on all of train.

Folds group retweets and copies (same text once RT prefixes, links and @handles are removed), so
a text never sits on both sides of a fold.

  python3 tools/train_scorer.py --set sentirueval --cv            # CV figures only, no file
  python3 tools/train_scorer.py --set sentirueval --grid          # CV over the settings below
  python3 tools/train_scorer.py --set sentirueval --out rules/model/sentiment-ru.yaml
  python3 tools/train_scorer.py --set airline --out rules/model/sentiment-en.yaml

Options set the features (--stem, --scope, --families), the regularization (--l2, --epochs,
--min-count), the pruning (--keep: the features kept, by |weight|), --blend, and what train's
"mixed" pairs are (--mixed). One CV run moves with the seed (the order AdaGrad visits the
examples in) by about 0.005 by time and 0.015 by domain, more than most settings change it:
compare settings by the mean of several seeds (--cv --seeds 6). Standard library only.
"""

import argparse
import collections
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_quality as ev  # noqa: E402

REPO = ev.REPO
LABEL = {"negative": 0, "neutral": 1, "positive": 2}
KEY_RT = re.compile(r"^\s*rt\s+@\w+:?\s*", re.I)
KEY_JUNK = re.compile(r"https?://\S+|www\.\S+|@\w+|[^\w]+", re.U)


def text_key(text):
    """Retweets and copies share a key (fold grouping, de-duplication)."""
    t = KEY_RT.sub("", text.lower().replace("ё", "е"))
    return KEY_JUNK.sub(" ", t).strip()


def family(f):
    if f.startswith(":"):
        return "mark"
    if f.startswith("!"):
        return "neg"
    if " " in f:
        return "bi"
    return "uni"


def extract(args, posts, rules):
    """Runs bp-rules features; returns {(post_id, brand): (lex, [features])}."""
    inp = "".join(json.dumps({"id": p["id"], "text": p["text"], "lang": p["lang"]},
                             ensure_ascii=False) + "\n" for p in posts).encode("utf-8")
    cmd = [args.rules_bin, "features", "--rules", rules, "--stem", str(args.stem),
           "--scope", args.scope]
    proc = subprocess.run(cmd, input=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-2000:])
        raise SystemExit("train_scorer: %s exited with %d" % (" ".join(cmd), proc.returncode))
    fams = set(args.families.split(","))
    out = {}
    for line in proc.stdout.decode("utf-8").splitlines():
        row = json.loads(line)
        feats = [f for f in row["features"] if family(f) in fams]
        out[(row["id"], row["brand"])] = (row["lex"], feats)
    return out


def build_examples(posts, gold, feats, mixed="drop"):
    """(key, label, lex, features, domain, time, scored) per gold pair with a label we score;
    undetected pairs are kept with features None (the engine calls them neutral). With
    mixed="neutral", train's "mixed" pairs (both praise and complaint) are kept too, learned as
    neutral but never scored (scored False): the figures stay over positive, neutral and
    negative pairs, like eval_quality.py's."""
    text = {p["id"]: p["text"] for p in posts}
    when = {p["id"]: p["published_at"] for p in posts}
    ex = []
    for (pid, b), gl in sorted(gold.items()):
        scored = gl in LABEL
        if not scored and not (gl == "mixed" and mixed == "neutral"):
            continue
        fx = feats.get((pid, b))
        ex.append((text_key(text[pid]), LABEL.get(gl, 1), fx[0] if fx else 0.0,
                   fx[1] if fx else None, pid.split(":", 1)[1].split("-", 1)[0], when[pid],
                   scored))
    return ex


def sigmoid(z):
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)


class Ordinal:
    """s = c*lex + sum(w[f]); P(y > k) = sigmoid(s - theta[k]), k = 0, 1."""

    def __init__(self, l2, lr, epochs, seed, fix_lex=False):
        self.l2, self.lr, self.epochs, self.seed = l2, lr, epochs, seed
        self.fix_lex = fix_lex
        self.w, self.c, self.theta = {}, 1.0, [-1.0, 1.0]

    def score(self, lex, feats):
        w = self.w
        return self.c * lex + sum(w.get(f, 0.0) for f in feats)

    def grad(self, y, s):
        """The all-threshold logistic loss's derivatives by the two thresholds' margins, for
        label y (0 negative, 1 neutral, 2 positive) and score s."""
        return (sigmoid(s - self.theta[0]) - (1.0 if y > 0 else 0.0),
                sigmoid(s - self.theta[1]) - (1.0 if y > 1 else 0.0))

    def fit_sgd(self, data):
        """SGD on the all-threshold logistic loss with L2 on every weight at every step (the
        weights are kept as scale * v, so the decay costs nothing per step): rare features
        cannot memorise their few texts."""
        rnd = random.Random(self.seed)
        v, scale, t = collections.defaultdict(float), 1.0, 0
        lr0, l2 = self.lr, self.l2
        order = list(range(len(data)))
        for _ in range(self.epochs):
            rnd.shuffle(order)
            for i in order:
                y, lex, feats = data[i]
                eta = lr0 / (1 + lr0 * l2 * t)
                t += 1
                d0, d1 = self.grad(y, self.c * lex + scale * sum(v[f] for f in feats))
                g = d0 + d1
                scale *= 1 - eta * l2
                if scale < 1e-6:
                    for f in v:
                        v[f] *= scale
                    scale = 1.0
                for f in feats:
                    v[f] -= eta * g / scale
                if not self.fix_lex:
                    self.c = max(0.05, self.c - eta * g * lex)
                self.theta[0] += eta * d0
                self.theta[1] += eta * d1
        self.w = {f: scale * x for f, x in v.items()}
        return self

    def fit(self, data):
        """AdaGrad on the all-threshold logistic loss, L2 applied to a feature each time it is
        seen (rare features keep larger steps, frequent ones are shrunk more)."""
        rnd = random.Random(self.seed)
        w, g2 = self.w, collections.defaultdict(float)
        gc = gt0 = gt1 = 1e-8
        lr, l2 = self.lr, self.l2
        order = list(range(len(data)))
        for _ in range(self.epochs):
            rnd.shuffle(order)
            for i in order:
                y, lex, feats = data[i]
                d0, d1 = self.grad(y, self.c * lex + sum(w.get(f, 0.0) for f in feats))
                g = d0 + d1
                for f in feats:
                    wf = w.get(f, 0.0)
                    gf = g + l2 * wf
                    g2[f] += gf * gf
                    w[f] = wf - lr * gf / math.sqrt(g2[f] + 1e-8)
                gcv = g * lex
                gc += gcv * gcv
                if not self.fix_lex:
                    self.c = max(0.05, self.c - lr * gcv / math.sqrt(gc))
                gt0 += d0 * d0
                gt1 += d1 * d1
                self.theta[0] += lr * d0 / math.sqrt(gt0)
                self.theta[1] += lr * d1 / math.sqrt(gt1)
        return self

    def prune(self, keep):
        if keep and len(self.w) > keep:
            top = sorted(self.w.items(), key=lambda kv: -abs(kv[1]))[:keep]
            self.w = dict(top)
        self.w = {f: v for f, v in self.w.items() if abs(v) >= 1e-3}
        return self


def macro_f1(pairs, lo, hi):
    """pairs: (gold, s or None); predicted negative if s < lo, positive if s > hi."""
    tp = [0, 0, 0]
    fp = [0, 0, 0]
    fn = [0, 0, 0]
    for y, s in pairs:
        p = 1 if s is None or lo <= s <= hi else (0 if s < lo else 2)
        if p == y:
            tp[y] += 1
        else:
            fp[p] += 1
            fn[y] += 1
    f = []
    for c in (0, 2):
        pr = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 0.0
        rc = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 0.0
        f.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    return (f[0] + f[1]) / 2, f[0], f[1]


def tune_band(pairs):
    """The thresholds (lo, hi) that maximise macro F1 over pairs. The F1 of the negative class
    depends on lo alone and that of the positive class on hi alone, so each is found by one
    sweep over the sorted scores; thresholds sit midway between neighbouring scores."""
    ss = sorted(set(s for _, s in pairs if s is not None))
    if len(ss) < 2:
        return -0.5, 0.5
    total = [0, 0, 0]
    at = collections.defaultdict(lambda: [0, 0, 0])
    for y, s in pairs:
        total[y] += 1
        if s is not None:
            at[s][y] += 1

    def f1(tp, pred, gold):
        return 2 * tp / (pred + gold) if pred + gold else 0.0

    best_lo, best_f, tp, pred = ss[0] - 1, -1.0, 0, 0
    for k in range(len(ss) - 1):  # negative: s < lo, lo between ss[k] and ss[k+1]
        c = at[ss[k]]
        tp += c[0]
        pred += sum(c)
        f = f1(tp, pred, total[0])
        if f > best_f:
            best_f, best_lo = f, (ss[k] + ss[k + 1]) / 2
    best_hi, best_f, tp, pred = ss[-1] + 1, -1.0, 0, 0
    for k in range(len(ss) - 1, 0, -1):  # positive: s > hi, hi between ss[k-1] and ss[k]
        c = at[ss[k]]
        tp += c[2]
        pred += sum(c)
        f = f1(tp, pred, total[2])
        if f > best_f:
            best_f, best_hi = f, (ss[k - 1] + ss[k]) / 2
    if best_hi <= best_lo:
        mid = (best_lo + best_hi) / 2
        best_lo, best_hi = mid, mid
    return best_lo, best_hi


def train_set(ex, args):
    """Fits on examples (detected ones, one per (text, label, features) copy)."""
    seen, data = set(), []
    counts = collections.Counter()
    for key, y, lex, feats, *_ in ex:
        if feats is None:
            continue
        k = (key, y, tuple(feats))
        if k in seen:
            continue
        seen.add(k)
        data.append((y, lex, feats))
        counts.update(set(feats))
    keepf = {f for f, n in counts.items() if n >= args.min_count}
    data = [(y, lex, [f for f in feats if f in keepf]) for y, lex, feats in data]
    m = Ordinal(args.l2, args.lr, args.epochs, args.seed, not args.learn_lex)
    (m.fit_sgd if args.optimizer == "sgd" else m.fit)(data)
    return m.prune(args.keep)


def make_folds(ex, args):
    """Folds grouped by text key; or (--folds-by domain) one fold per domain: trained on
    banks, judged on telecom and back, a stand-in for a change of topic; or (--folds-by time)
    contiguous periods, a stand-in for the test split's other months."""
    if args.folds_by == "domain":
        names = sorted(set(e[4] for e in ex))
        return [[i for i, e in enumerate(ex) if e[4] == n] for n in names]
    if args.folds_by == "time":
        order = sorted(range(len(ex)), key=lambda i: ex[i][5])
        return [order[k * len(ex) // args.folds:(k + 1) * len(ex) // args.folds]
                for k in range(args.folds)]
    folds = [[] for _ in range(args.folds)]
    for i, e in enumerate(ex):
        folds[zlib.crc32(e[0].encode()) % args.folds].append(i)
    return folds


def oof_scores(ex, args):
    """Out-of-fold scores s/c (lexicon units) for every example."""
    folds = make_folds(ex, args)
    out = [None] * len(ex)
    for k in range(len(folds)):
        held = set(folds[k])
        m = train_set([e for i, e in enumerate(ex) if i not in held], args)
        for i in folds[k]:
            lex, feats = ex[i][2], ex[i][3]
            if feats is not None:
                out[i] = lex + args.blend * (m.score(0.0, feats)) / m.c
    return out


def cv(ex, args):
    s = oof_scores(ex, args)
    pairs = [(e[1], x) if e[6] else None for e, x in zip(ex, s)]
    # thresholds chosen on the other folds' predictions too: nested, so the figure is honest
    folds = make_folds(ex, args)
    got = []
    for k in range(len(folds)):
        held = set(folds[k])
        lo, hi = tune_band([p for i, p in enumerate(pairs) if i not in held and p])
        got.extend((pairs[i], lo, hi) for i in folds[k] if pairs[i])
    tp = collections.Counter()
    conf = collections.Counter()
    for (y, x), lo, hi in got:
        p = 1 if x is None or lo <= x <= hi else (0 if x < lo else 2)
        conf[(y, p)] += 1
    res = []
    for c in (0, 2):
        t = conf[(c, c)]
        fp = sum(v for (y, p), v in conf.items() if p == c and y != c)
        fn = sum(v for (y, p), v in conf.items() if y == c and p != c)
        pr = t / (t + fp) if t + fp else 0
        rc = t / (t + fn) if t + fn else 0
        res.append(2 * pr * rc / (pr + rc) if pr + rc else 0)
    lex_pairs = [(e[1], e[2] if e[3] is not None else None) for e in ex if e[6]]
    base = macro_f1(lex_pairs, -1e-9, 1e-9)
    return (res[0] + res[1]) / 2, res[0], res[1], base


def yaml_str(s):
    return json.dumps(s, ensure_ascii=False)


def write_model(path, m, lo, hi, args, lang, info):
    bias = -(lo + hi) / 2 / args.blend
    half = (hi - lo) / 2
    feats = sorted(m.w.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Learned sentiment scorer for %s posts: weights in lexicon points, added to each\n"
                "# brand's lexicon score (see docs/rules.md, \"The learned scorer\").\n"
                "# Generated by: %s\n# Do not edit by hand: retrain instead.\n"
                % (lang, "python3 tools/train_scorer.py " + " ".join(sys.argv[1:])))
        f.write("model: sentiment\nlanguage: %s\n" % lang)
        f.write("about: %s\n" % yaml_str(info))
        f.write("stem: %d\nscope: %s\n" % (args.stem, args.scope))
        f.write("blend: %g\nbias: %.4f\nneutral_band: [%.4f, %.4f]\n" % (args.blend, bias, -half,
                                                                          half))
        f.write("features:\n")
        for k, v in feats:
            f.write("  - %s: %.4f\n" % (yaml_str(k), v / m.c))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    ap.add_argument("--set", choices=("sentirueval", "airline"), default="sentirueval")
    ap.add_argument("--rules", default=os.path.join(REPO, "rules"))
    ap.add_argument("--rules-bin", default=os.path.join(REPO, "bin", "bp-rules"))
    ap.add_argument("--stem", type=int, default=5)
    ap.add_argument("--scope", choices=("text", "sentence", "clause"), default="text")
    ap.add_argument("--families", default="uni,bi,neg,mark")
    ap.add_argument("--l2", type=float, default=3.0)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--keep", type=int, default=3000)
    ap.add_argument("--blend", type=float, default=1.0)
    ap.add_argument("--learn-lex", action="store_true",
                    help="learn the lexicon score's coefficient too (default: fixed at 1, the "
                         "model learns corrections to the lexicon)")
    ap.add_argument("--optimizer", choices=("adagrad", "sgd"), default="adagrad",
                    help="adagrad (L2 when a feature is seen) or sgd (L2 on every weight at "
                         "every step)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--folds-by", choices=("text", "domain", "time"), default="time")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=1,
                    help="with --cv: repeat the CV with seeds --seed .. --seed+N-1 (the order the "
                         "examples are visited in) and print each and the mean; one run's figure "
                         "moves by about 0.005 (time folds) and 0.015 (domain folds) with the seed")
    ap.add_argument("--mixed", choices=("drop", "neutral"), default="drop",
                    help="train's \"mixed\" pairs: left out, or learned as neutral (never scored)")
    ap.add_argument("--cv", action="store_true", help="print CV figures only")
    ap.add_argument("--grid", action="store_true", help="CV over a grid of settings")
    ap.add_argument("--out", help="write the model file")
    a = ap.parse_args()
    loader = ev.load_sentirueval if a.set == "sentirueval" else ev.load_airline
    lang = "ru" if a.set == "sentirueval" else "en"
    posts, gold = loader(a.data, "train")
    if a.grid:
        grid = []
        for stem in (4, 5, 6):
            for scope in ("text", "sentence"):
                grid.append(dict(stem=stem, scope=scope))
        for fam in ("uni", "uni,bi", "uni,bi,neg", "uni,bi,mark"):
            grid.append(dict(families=fam))
        for l2 in (0.001, 0.003, 0.03):
            grid.append(dict(l2=l2))
        for keep in (1000, 6000, 0):
            grid.append(dict(keep=keep))
        for mc in (2, 5):
            grid.append(dict(min_count=mc))
        for ep in (3, 10):
            grid.append(dict(epochs=ep))
        for bl in (0.5, 0.75, 1.25):
            grid.append(dict(blend=bl))
        cache = {}
        for g in grid:
            b = argparse.Namespace(**vars(a))
            for k, v in g.items():
                setattr(b, k, v)
            fk = (b.stem, b.scope, b.families)
            if fk not in cache:
                cache[fk] = build_examples(posts, gold, extract(b, posts, a.rules), a.mixed)
            t0 = time.time()
            m, fn, fp, base = cv(cache[fk], b)
            print("%-40s CV macro F1 %.4f (neg %.4f pos %.4f; lexicon alone %.4f) %.0fs"
                  % (json.dumps(g), m, fn, fp, base[0], time.time() - t0), flush=True)
        return 0
    ex = build_examples(posts, gold, extract(a, posts, a.rules), a.mixed)
    how = "%d folds by %s" % (a.folds, a.folds_by) if a.folds_by != "domain" else "by domain"
    if a.seeds > 1:
        runs = []
        for seed in range(a.seed, a.seed + a.seeds):
            b = argparse.Namespace(**vars(a))
            b.seed = seed
            runs.append(cv(ex, b))
            print("seed %d: macro F1 %.4f (F1 negative %.4f, positive %.4f)" % ((seed,)
                                                                              + runs[-1][:3]))
        print("%s train, CV (%s), mean of %d seeds: macro F1 %.4f (F1 negative %.4f, positive "
              "%.4f), min %.4f, max %.4f" % (a.set, how, a.seeds,
                                            *[sum(r[j] for r in runs) / a.seeds for j in range(3)],
                                            min(r[0] for r in runs), max(r[0] for r in runs)))
        if a.cv or not a.out:
            return 0
    m, fn, fp, base = cv(ex, a)
    print("%s train, CV (%s): macro F1 %.4f (F1 negative %.4f, positive %.4f); lexicon alone "
          "%.4f (negative %.4f, positive %.4f)" % (a.set, how, m, fn, fp, base[0], base[1],
                                                   base[2]))
    if a.cv or not a.out:
        return 0
    s = oof_scores(ex, a)
    lo, hi = tune_band([(e[1], x) for e, x in zip(ex, s) if e[6]])
    model = train_set(ex, a)
    info = ("%s train split, %d pairs%s; CV (%s) macro F1 %.4f (lexicon alone %.4f)"
            % (a.set, len(ex), ", %d of them mixed, learned as neutral"
               % sum(not e[6] for e in ex) if a.mixed == "neutral" else "", how, m, base[0]))
    write_model(a.out, model, lo, hi, a, lang, info)
    print("wrote %s: %d features, c %.3f, thresholds %.3f %.3f" % (a.out, len(model.w), model.c,
                                                                    lo, hi))
    return 0


if __name__ == "__main__":
    sys.exit(main())
