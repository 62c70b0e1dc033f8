"""A test model for weir's Python worker pool: it predicts twice its first column, and
sleeps for the second column's value in seconds (the largest in the batch) after telling
stderr, and prints to stdout, so tests can kill or time out a worker mid-request and check
that a model's prints do not break the protocol."""
import sys
import time

import numpy as np


class Slow:
    def predict(self, x):
        x = np.asarray(x, dtype=np.float64)
        wait = float(x[:, 1].max()) if x.shape[1] > 1 else 0.0
        print("slowmodel: a print to stdout must not reach weir")
        if wait > 0:
            sys.stderr.write("slowmodel: sleeping %.3f s\n" % wait)
            sys.stderr.flush()
            time.sleep(wait)
        return x[:, 0] * 2
