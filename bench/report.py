# Write bench/RESULTS.md from the raw numbers of bench/run: every size
# measured so far (bench/results/SIZE.tsv and SIZE.env), then the analysis
# written by hand (bench/analysis.md).
#
#   /usr/bin/python3 report.py BENCH_DIR
#
# A .tsv line is one timed run: size, key, cache (cold|warm), run (0 is the
# warm-up, left out here), seconds, peak resident memory in KB, and the CPU
# seconds s3rver used meanwhile (when it was running).
import os
import statistics
import sys

SIZES = ["small", "medium", "large"]

bench = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
resdir = os.path.join(bench, "results")


def load(size):
    runs = {}
    env = {}
    try:
        with open(os.path.join(resdir, size + ".tsv")) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) < 5 or p[3] == "0":
                    continue
                rss = int(p[5]) if len(p) > 5 and p[5] else None
                srv = float(p[6]) if len(p) > 6 and p[6] else None
                runs.setdefault((p[1], p[2]), []).append((int(p[3]), float(p[4]), rss))
                if srv is not None:
                    runs.setdefault((p[1] + "@server", p[2]), []).append(
                        (int(p[3]), srv, None))
        with open(os.path.join(resdir, size + ".env")) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                env[k] = v
    except FileNotFoundError:
        return None, None
    return runs, env


def fmt_s(x):
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    if x >= 1:
        return "%.2f" % x
    return "%.3f" % x


def times(runs, key, cache):
    r = runs.get((key, cache))
    if not r:
        return None
    return [t for _, t, _ in sorted(r)]


def cell(ts):
    if not ts:
        return "-"
    return "%s (%s–%s)" % (fmt_s(statistics.median(ts)), fmt_s(min(ts)), fmt_s(max(ts)))


def ratio(a, b):
    """Ratio of the medians, and the range of the ratios of runs taken one
    after the other (run i of A against run i of B)."""
    if not a or not b:
        return "-", None
    m = statistics.median(a) / statistics.median(b)
    paired = [x / y for x, y in zip(a, b)]
    return "%.2f (%.2f–%.2f)" % (m, min(paired), max(paired)), m


def mib(kb):
    return "%.1f MiB" % (kb / 1024.0)


def peak(runs, key):
    vals = [rss for (k, _), r in runs.items() if k == key for _, _, rss in r if rss]
    return max(vals) if vals else None


def verdict(ok):
    if ok is None:
        return "-"
    return "met" if ok else "**missed**"


out = []
w = out.append


def row(*cells):
    """A table line; an empty cell is written "| |"."""
    return "|" + "".join(" %s |" % c if c != "" else " |" for c in cells)


def table(header, rows):
    """A Markdown table: the header's cells, the separator, the rows (lines
    made by row()), and a blank line."""
    w(row(*header))
    w("|" + "---|" * len(header))
    out.extend(rows)
    w("")


def raw_section(name, title):
    """Each size's bench/results/NAME-SIZE.txt, as it is, under TITLE (with
    the size in place of %s)."""
    for size in SIZES:
        path = os.path.join(resdir, "%s-%s.txt" % (name, size))
        if not os.path.exists(path):
            continue
        w("## " + title % size)
        w("")
        w("```")
        with open(path) as f:
            out.append(f.read().rstrip("\n"))
        w("```")
        w("")


w("# vsbackup benchmark results")
w("")
w("Written by `bench/report.py` from the raw numbers in `bench/results/` (one line per "
  "timed run); run `bench/run [small|medium|large]` to measure again. The analysis at the "
  "end is written by hand (`bench/analysis.md`).")
w("")
w("How to read the numbers: each program of a pair ran alternately (A B A B ...) after "
  "one warm-up run each; the tables give the median and, in brackets, the fastest and "
  "slowest run. **The machine was shared** with other developers' builds and tests while "
  "these ran, so absolute times are noisy: judge by the ratios, which compare runs taken "
  "at the same moments. A ratio is vsbackup / baseline of the medians; the bracket is the "
  "range of the ratios of runs taken one right after the other.")
w("")

all_env = {}
mem_rows = {}
for size in SIZES:
    runs, env = load(size)
    if runs is None:
        continue
    all_env[size] = env
    cold = env.get("cold") == "1"
    main_cache = "cold" if cold else "warm"
    ref = int(env.get("ref_bytes", "0"))
    w("## %s: %s content vectors, %s users, dimension %s" % (
        size, format(int(env["vectors"]), ","), format(int(env["users"]), ","), env["dim"]))
    w("")
    w("Measured %s, %s timed runs of each program; vsbackup built from %s." % (
        env.get("date", "?"), env.get("runs", "?"), env.get("commit", "?")))
    w("")
    groups = (("local backup", "backup_vsbackup"), ("quick verify", "verify_vsbackup"),
              ("S3 upload and download", "upload_vsbackup"), ("restore", "restore_local"),
              ("memory of the FAISS round trip", "faiss_roundtrip"),
              ("10,000 backups", "list_10000"))
    missing = [g for g, k in groups if not any(key == k for key, _ in runs)]
    if missing:
        w("Not measured at this size: %s." % ", ".join(missing))
        w("")
    table(("machine", ""), [
        row("CPU", "%s, %s cores (virtual machine, shared)" % (env.get("cpu"), env.get("cores"))),
        row("memory", env.get("memory")),
        row("disk of the work dir", "%s; %s" % (env.get("disk"),
                                                " ".join(env.get("fs", "").split()))),
        row("load average at the end", env.get("loadavg_end")),
        row("kernel", env.get("kernel")),
        row("vsbackup", "%s (build-bench: -O2 -g, no sanitizers)" % env.get("vsbackup")),
        row("redis-server", env.get("redis")),
        row("awscli", "%s (Debian, default settings)" % env.get("awscli")),
        row("s3rver", "%s on node %s" % (env.get("s3rver"), env.get("node"))),
        row("sha256sum", env.get("coreutils")),
        row("python3-faiss", env.get("faiss_python")),
    ])
    w("Dataset (made by `vsbackup demo` in %s s): one backup is %.1f MiB: RDB %.1f MiB, "
      "content index %.1f MiB, user index %.1f MiB." % (
          env.get("demo_seconds"), ref / 1048576.0, int(env["rdb_bytes"]) / 1048576.0,
          int(env["content_bytes"]) / 1048576.0, int(env["user_bytes"]) / 1048576.0))
    w("")
    if cold:
        w("Cache: **cold** unless a row says warm: before every timed run of either program "
          "`sync; echo 3 > /proc/sys/vm/drop_caches` (so dirty data of the previous run is "
          "written out before the clock starts, and both programs read from disk).")
    else:
        w("Cache: **warm**: the page cache was not dropped between runs (both programs "
          "alike).")
    w("")

    rows = []
    # (what, vsbackup key, baseline name, baseline key, cache, target text, test)
    le = lambda lim: (lambda m: m <= lim)
    info = lambda m: None
    pairs = [
        ("1. local backup", "backup_vsbackup", "baseline script (no sync)", "backup_script",
         main_cache, "ratio <= 1.0", le(1.0)),
        ("1. local backup", "backup_vsbackup", "baseline script + sync", "backup_script_sync",
         main_cache, "ratio <= 1.0", le(1.0)),
        ("2. quick verify", "verify_vsbackup", "sha256sum -c", "verify_sha256sum", "cold",
         "ratio <= 1.11 (>= 0.9x throughput)", le(1 / 0.9)),
        ("2. quick verify", "verify_vsbackup", "sha256sum -c", "verify_sha256sum", "warm",
         "ratio <= 1.11 (>= 0.9x throughput)", le(1 / 0.9)),
        ("3. upload to s3rver", "upload_vsbackup", "aws s3 cp --recursive", "upload_awscli",
         main_cache, "ratio <= 0.5", le(0.5)),
        ("3. download from s3rver", "download_vsbackup", "aws s3 cp --recursive",
         "download_awscli", main_cache, "ratio <= 0.5", le(0.5)),
        ("3. upload, one PUT per file (s3.multipart_threshold = 5 GiB; not the default)",
         "upload_vsbackup_single", "aws s3 cp --recursive", "upload_awscli", main_cache,
         "(for comparison)", info),
        ("3b. upload to a server that stores nothing (bench/s3-sink.js)", "sinkup_vsbackup",
         "aws s3 cp --recursive", "sinkup_awscli", main_cache, "(the clients' own cost)", info),
        ("3b. download from a server that only serves files (bench/s3-sink.js)",
         "sinkdown_vsbackup", "aws s3 cp --recursive", "sinkdown_awscli", main_cache,
         "(the clients' own cost)", info),
    ]
    for what, a, bname, b, cache, tgt, test in pairs:
        ta, tb = times(runs, a, cache), times(runs, b, cache)
        if not ta and not tb:
            continue
        r, m = ratio(ta, tb)
        rows.append(row(what, cache, cell(ta), bname, cell(tb), r, tgt,
                        verdict(test(m) if m is not None else None)))
    if rows:
        w("### Times (seconds)")
        w("")
        table(("what", "cache", "vsbackup", "baseline", "baseline time", "ratio", "target", ""),
              rows)
    srows = []
    for what, server, key in (("upload, vsbackup", "s3rver", "upload_vsbackup"),
                              ("upload, vsbackup, one PUT per file", "s3rver",
                               "upload_vsbackup_single"),
                              ("upload, awscli", "s3rver", "upload_awscli"),
                              ("download, vsbackup", "s3rver", "download_vsbackup"),
                              ("download, awscli", "s3rver", "download_awscli"),
                              ("restore --from s3", "s3rver", "restore_s3"),
                              ("upload, vsbackup", "s3-sink", "sinkup_vsbackup"),
                              ("upload, awscli", "s3-sink", "sinkup_awscli"),
                              ("download, vsbackup", "s3-sink", "sinkdown_vsbackup"),
                              ("download, awscli", "s3-sink", "sinkdown_awscli")):
        wall = times(runs, key, main_cache)
        srv = times(runs, key + "@server", main_cache)
        if not wall or not srv:
            continue
        srows.append(row(what, server, fmt_s(statistics.median(wall)),
                         fmt_s(statistics.median(srv)),
                         "%.0f%%" % (100 * statistics.median(srv) / statistics.median(wall))))
    if srows:
        w("The S3 server is part of every transfer: s3rver is one node process, doing "
          "most of its work on one thread, and the CPU time it used during each run (from "
          "/proc) is below. A transfer cannot take much less time than the server needs "
          "for its part of it. s3-sink (bench/s3-sink.js) stores nothing and checks "
          "nothing: its share is the least any server needs.")
        w("")
        table(("transfer", "server", "wall s (median)", "server CPU s (median)",
               "server CPU / wall"), srows)
    for cache in ("cold", "warm"):
        ta, tb = times(runs, "verify_vsbackup", cache), times(runs, "verify_sha256sum", cache)
        if ta and tb:
            w("Quick verify throughput (%s): vsbackup %.0f MiB/s, sha256sum %.0f MiB/s "
              "(%.2fx)." % (cache, ref / 1048576.0 / statistics.median(ta),
                            ref / 1048576.0 / statistics.median(tb),
                            statistics.median(tb) / statistics.median(ta)))
            w("")

    # Restore: against the seed's targets and the medium targets.
    rl, rs = times(runs, "restore_local", main_cache), times(runs, "restore_s3", main_cache)
    if rl or rs:
        w("### Restore (RTO), end to end")
        w("")
        w("`vsbackup restore ID --yes` (local copy) and `vsbackup restore ID --from s3 --yes` "
          "(local copy deleted first: it downloads, verifies, then restores). Both include "
          "the pre-restore safety backup of the live state, the Redis stop, RDB placement, "
          "start and load, and the final key-count check.")
        w("")
        rrows = []
        for name, ts, seed, med in (("local", rl, 300, 30), ("from S3", rs, 900, 60)):
            if not ts:
                continue
            m = statistics.median(ts)
            v = verdict(m < med) if size == "medium" else "-"
            rrows.append(row(name, main_cache, cell(ts), "%d s" % seed, "%.3f" % (m / seed),
                             "< %d s" % med, v))
        table(("restore", "cache", "seconds", "seed's target", "ratio to target",
               "target on medium", ""), rrows)

    # The TUI and list.
    tui_rows = []
    for cache in ("cold", "warm"):
        for key, what, tgt in (
                ("tui_first_paint", "TUI: start to first paint", 0.3),
                ("tui_list_loaded", "TUI: start to backup list loaded", None),
                ("list_10000", "`vsbackup list`", None),
                ("list_10000_json", "`vsbackup --json list`", None)):
            ts = times(runs, key, cache)
            if not ts:
                continue
            m = statistics.median(ts)
            tui_rows.append(row(what, cache, cell(ts), "< 0.3 s" if tgt else "-",
                                verdict(m < tgt) if tgt else "-"))
    if tui_rows:
        w("### 10,000 backups in backup_dir")
        w("")
        w("Made by `bench/make-backups.py`: copies of the reference backup (metadata.json "
          "rewritten, data files hard-linked). The TUI reports its own times "
          "(`VSBACKUP_TUI_TIMINGS`), measured from the exec of `vsbackup tui` in an 80x24 "
          "tmux pane by `bench/tui-start-time`. Its first paint comes before the list is "
          "read (the list then shows as loading); the list follows when a worker has read "
          "every metadata.json.")
        w("")
        table(("what", "cache", "seconds", "target", ""), tui_rows)

    # Memory of this size.
    mem = [
        ("vsbackup backup", "backup_vsbackup", True),
        ("vsbackup verify (quick)", "verify_vsbackup", True),
        ("vsbackup restore (local)", "restore_local", False),
        ("vsbackup restore --from s3", "restore_s3", False),
        ("vsbackup upload", "upload_vsbackup", False),
        ("vsbackup download", "download_vsbackup", False),
        ("vsbackup list (10,000 backups)", "list_10000", False),
        ("baseline backup script", "backup_script", False),
        ("sha256sum -c", "verify_sha256sum", False),
        ("aws s3 cp upload", "upload_awscli", False),
        ("aws s3 cp download", "download_awscli", False),
        ("python3 + FAISS: read_index/write_index of both indexes", "faiss_roundtrip", False),
        ("python3 + `import faiss` alone", "python_faiss_import", False),
    ]
    mrows = []
    for what, key, target in mem:
        p = peak(runs, key)
        if p is None:
            continue
        mem_rows.setdefault(what, {})[size] = p
        mrows.append(row(what, mib(p), "< 64 MiB" if target else "-",
                         verdict(p < 64 * 1024) if target else "-"))
    if mrows:
        w("### Peak resident memory")
        w("")
        w("`/usr/bin/time -v`, Maximum resident set size: the largest of the process and "
          "the children it waited for, over all runs (the Redis fork that writes the "
          "snapshot belongs to redis-server and is counted for neither side).")
        w("")
        table(("program", "peak RSS", "target", ""), mrows)

if len(all_env) > 1 and mem_rows:
    sizes = [s for s in SIZES if s in all_env]
    w("## Peak memory across sizes")
    w("")
    table(["program"] + sizes,
          [row(what, *(mib(per[s]) if s in per else "-" for s in sizes))
           for what, per in mem_rows.items()])

# The repository's own benchmark (bench/repo-bench), what a daily backup
# sends to S3 (bench/repo-s3-bench) against restic, download and restore from
# S3 of both formats (bench/repo-s3-restore), and the restore drill by
# phase (bench/drill-bench): their lines as run.
raw_section("repo", "Repository (format 2) at %s: bench/repo-bench")
raw_section("repo-s3", "Repository (format 2) in S3 at %s: bench/repo-s3-bench")
raw_section("repo-s3-restore", "Restore from S3, both formats, at %s: bench/repo-s3-restore")
raw_section("drill", "Restore drill at %s: bench/drill-bench")

try:
    with open(os.path.join(bench, "analysis.md")) as f:
        out.append(f.read().rstrip("\n"))
except FileNotFoundError:
    pass

with open(os.path.join(bench, "RESULTS.md"), "w") as f:
    f.write("\n".join(out) + "\n")
