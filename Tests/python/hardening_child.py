"""Child-process side of test_hardening.py: runs work that might kill its process.

    hardening_child.py factory <factory> <dim>
        create, train, add, search, save, reopen and search again; prints one line
        "ok" or "error <step> <ExceptionName>: <message>".
    hardening_child.py open <path>...
        opens, searches, adds to and searches each file; before each prints "try <path>" and after it
        "done opened" or "done <ExceptionName>: <message>",
        so the parent can name the file that killed the process.
"""
import os
import sys

import numpy as np

import stasis


def rows(n, dim, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)).astype(np.float32)


def factory_case(factory, dim):
    step = "create"
    try:
        index = stasis.Index(dim, factory)
        data = rows(1200, dim, 1)
        step = "train"
        if not index.is_trained:
            index.train(data)
        step = "add"
        index.add(data, np.arange(len(data)), version=1)
        step = "search"
        index.search(data[:5], 3)
        step = "save"
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"hardening-{os.getpid()}.stasis")
        index.save(path)
        step = "open"
        reopened = stasis.Index.open(path)
        os.unlink(path)
        step = "search after open"
        _, ids = reopened.search(data[:5], 3)
        assert ids.shape == (5, 3)
        print("ok", flush=True)
    except stasis.StasisError as error:
        print(f"error {step} {type(error).__name__}: {error}", flush=True)


def open_case(paths):
    query = rows(4, stasis.inspect(paths[0])["dimension"], 2)
    for path in paths:
        print(f"try {path}", flush=True)
        try:
            index = stasis.Index.open(path)
            index.search(query, 5, ef_search=64, nprobe=8)
            index.add(query, [10**9, 10**9 + 1, 10**9 + 2, 10**9 + 3], version=9)
            index.search(query, 5)
            outcome = "opened"
        except stasis.StasisError as error:
            outcome = f"{type(error).__name__}: {error}"
        print(f"done {outcome}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "factory":
        factory_case(sys.argv[2], int(sys.argv[3]))
    else:
        open_case(sys.argv[2:])
