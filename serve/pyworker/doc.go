// Package pyworker serves models that the Python mlflow client logged in the sklearn or
// python_function flavor, through a small, supervised pool of Python worker processes
// that run the machine's interpreter and packages, as `mlflow models serve --env-manager
// local` does.
//
// # Model
//
// New starts Config.Workers processes of an embedded script (worker.py) with one
// interpreter, checked first: it must import numpy and scikit-learn, or New fails naming
// it. Each process reads one JSON request per line on stdin and answers one JSON line on
// stdout, one request at a time; what a model prints goes to stderr, which is logged line
// by line. A worker goroutine owns each process: predictions wait on one shared channel
// that every idle worker reads, so requests go to whichever worker is free.
//
// Load has every worker load the model (Spec: its directory and the MLmodel's flavor
// fields) and keep it under an id; each prediction carries the spec too, so a restarted
// worker loads the model again on its first request without the caller noticing. The
// sklearn flavor, and python_function with loader_module mlflow.sklearn, unpickle the
// model file (pickle, or cloudpickle when installed); other python_function models need
// the mlflow package in the interpreter (mlflow.pyfunc.load_model). Inputs travel as JSON
// columns; the model gets a pandas DataFrame when pandas imports, else a 2-D numpy array,
// in the signature's column order.
//
// # Failures
//
// A worker that dies (crash, OOM killer, kill -9) is restarted, with a backoff from 100ms
// to 10s while it cannot start; a request it was answering is retried once on whichever
// worker is free first, and fails with ErrWorkerDied if that one dies too (a request that
// kills workers costs at most two). A request not answered by its deadline
// (Config.RequestTimeout, or the caller's context deadline, whichever is sooner) fails
// with ErrTimeout, and its worker, which may be stuck, is killed and restarted. Python
// exceptions come back as *Error with the traceback's last line: ValueError, TypeError
// and KeyError raised while predicting are ErrInput (the request's fault: serving answers
// 400), other exceptions ErrPredict. Close kills every process (with its process group)
// and waits until all are reaped; a closed pool leaves no process and no goroutine.
package pyworker
