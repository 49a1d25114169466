# The in-process way of saving the indexes: load each index in full with
# FAISS and serialise it again (faiss.read_index / faiss.write_index), as a
# service that owns its indexes in memory does. bench/run measures its peak
# resident memory against vsbackup's, which streams the files.
#
#   /usr/bin/python3 faiss-roundtrip.py SRC DEST [SRC DEST]...
import sys

import faiss

args = sys.argv[1:]
if not args or len(args) % 2:
    sys.exit("usage: faiss-roundtrip.py SRC DEST [SRC DEST]...")
for src, dest in zip(args[0::2], args[1::2]):
    index = faiss.read_index(src)
    faiss.write_index(index, dest)
    del index
