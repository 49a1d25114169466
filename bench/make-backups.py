# Fill a backup_dir with many complete backups cheaply, for timing list and
# the TUI on a long history. Each backup is a copy of one real backup: its
# metadata.json with backup_id, created_at and completed_at rewritten, and
# the data files as hard links to the real ones (so sizes are real and no
# space is used; an empty file where a hard link is refused).
#
#   /usr/bin/python3 make-backups.py SOURCE_BACKUP_DIR BACKUP_DIR COUNT
#
# The ids go back from the hour before SOURCE's id, one an hour.
import datetime
import json
import os
import sys

if len(sys.argv) != 4:
    sys.exit("usage: make-backups.py SOURCE_BACKUP_DIR BACKUP_DIR COUNT")
src, dest, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(os.path.join(src, "metadata.json")) as f:
    meta = json.load(f)
files = [meta["redis"]["file"], meta["indices"]["content"]["file"],
         meta["indices"]["user"]["file"]]
start = datetime.datetime.strptime(meta["backup_id"], "%Y%m%d_%H%M%S")
took = (datetime.datetime.strptime(meta["completed_at"], "%Y-%m-%dT%H:%M:%SZ") -
        datetime.datetime.strptime(meta["created_at"], "%Y-%m-%dT%H:%M:%SZ"))
os.makedirs(dest, mode=0o700, exist_ok=True)
for k in range(1, count + 1):
    t = start - datetime.timedelta(hours=k)
    bid = t.strftime("%Y%m%d_%H%M%S")
    d = os.path.join(dest, bid)
    os.mkdir(d, 0o700)
    for name in files:
        try:
            os.link(os.path.join(src, name), os.path.join(d, name))
        except OSError:
            open(os.path.join(d, name), "w").close()
    meta["backup_id"] = bid
    meta["created_at"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    meta["completed_at"] = (t + took).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(os.path.join(d, "metadata.json"), "w") as f:
        json.dump(meta, f, indent="\t")
        f.write("\n")
