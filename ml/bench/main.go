// Command bench times weir's ML models on data sets written by run.py, one
// model per process so that each peak memory figure is its own. It prints
// one JSON object per run; run.py runs it side by side with scikit-learn
// and writes the comparison table.
//
//	go run ./ml/bench -model gbt -dir /tmp/weir-bench
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/cluster"
	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/metrics"
)

// readMatrix reads a little-endian file: int64 rows, int64 cols, then
// rows×cols float64 in row-major order.
func readMatrix(path string) (*mat.Dense, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var dims [2]int64
	if err := binary.Read(r, binary.LittleEndian, &dims); err != nil {
		return nil, err
	}
	data := make([]float64, dims[0]*dims[1])
	buf := make([]byte, 8*4096)
	for off := 0; off < len(data); {
		n := min(4096, len(data)-off)
		if _, err := io.ReadFull(r, buf[:8*n]); err != nil {
			return nil, err
		}
		for k := 0; k < n; k++ {
			data[off+k] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*k:]))
		}
		off += n
	}
	return mat.NewDense(int(dims[0]), int(dims[1]), data), nil
}

// procStatus returns a field of /proc/self/status in MiB.
func procStatus(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return math.NaN()
}

type result struct {
	Impl       string  `json:"impl"`
	Model      string  `json:"model"`
	Rows       int     `json:"rows"`
	Cols       int     `json:"cols"`
	FitSec     float64 `json:"fit_s"`
	FitCPUSec  float64 `json:"fit_cpu_s"`
	PredictSec float64 `json:"predict_s"`
	RowsPerSec float64 `json:"predict_rows_per_s"`
	BaseMiB    float64 `json:"base_rss_mib"`
	PeakMiB    float64 `json:"peak_rss_mib"`
	Score      float64 `json:"score"`
	ScoreName  string  `json:"score_name"`
	Cores      int     `json:"cores"`
}

func main() {
	model := flag.String("model", "", "ols, logistic, gbt, rf, kmeans or csv")
	dir := flag.String("dir", "/tmp/weir-bench", "data directory written by run.py")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*model, *dir); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(model, dir string) error {
	res := result{Impl: "weir", Model: model, Cores: runtime.GOMAXPROCS(0)}
	if model == "csv" {
		path := dir + "/big.csv"
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		res.BaseMiB = procStatus("VmRSS")
		start := time.Now()
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		fr, err := frame.ReadCSV(bufio.NewReaderSize(f, 1<<20), frame.CSVOptions{})
		f.Close()
		if err != nil {
			return err
		}
		res.FitSec = time.Since(start).Seconds()
		res.Rows, res.Cols = fr.NumRows(), fr.NumCols()
		res.PeakMiB = procStatus("VmHWM")
		res.Score, res.ScoreName = float64(st.Size())/(1<<20), "file_mib"
		runtime.KeepAlive(fr)
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	name := map[string]string{"ols": "reg", "logistic": "clf50", "gbt": "clf20", "rf": "clf20", "kmeans": "blobs"}[model]
	if name == "" {
		return fmt.Errorf("unknown model %q", model)
	}
	x, err := readMatrix(dir + "/" + name + "_X.bin")
	if err != nil {
		return err
	}
	ym, err := readMatrix(dir + "/" + name + "_y.bin")
	if err != nil {
		return err
	}
	y := ym.RawMatrix().Data
	yi := make([]int, len(y))
	for i, v := range y {
		yi[i] = int(v)
	}
	res.Rows, res.Cols = x.Dims()
	runtime.GC()
	res.BaseMiB = procStatus("VmRSS")
	var fit func() error
	var predict func() (float64, error)
	switch model {
	case "ols":
		m := &linear.LinearRegression{}
		fit = func() error { return m.Fit(x, y) }
		predict = func() (float64, error) {
			p, err := m.Predict(x)
			if err != nil {
				return 0, err
			}
			return metrics.R2(y, p)
		}
		res.ScoreName = "r2"
	case "logistic":
		m := &linear.LogisticRegression{}
		fit = func() error { return m.Fit(x, yi) }
		predict = func() (float64, error) { return accuracy(m.Predict(x))(yi) }
		res.ScoreName = "accuracy"
	case "gbt":
		m := &ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{NEstimators: 100, MaxDepth: 6, MinSamplesLeaf: 20}}
		fit = func() error { return m.Fit(x, yi) }
		predict = func() (float64, error) { return accuracy(m.Predict(x))(yi) }
		res.ScoreName = "accuracy"
	case "rf":
		m := &ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{NEstimators: 100, Seed: 1}}
		fit = func() error { return m.Fit(x, yi) }
		predict = func() (float64, error) { return accuracy(m.Predict(x))(yi) }
		res.ScoreName = "accuracy"
	case "kmeans":
		m := &cluster.KMeans{K: 8, NInit: 10, Seed: 1}
		fit = func() error { return m.Fit(x) }
		predict = func() (float64, error) {
			_, err := m.Predict(x)
			return m.Inertia, err
		}
		res.ScoreName = "inertia"
	}
	start, cpu0 := time.Now(), cpuSeconds()
	if err := fit(); err != nil {
		return err
	}
	res.FitSec = time.Since(start).Seconds()
	res.FitCPUSec = cpuSeconds() - cpu0
	start = time.Now()
	score, err := predict()
	if err != nil {
		return err
	}
	res.PredictSec = time.Since(start).Seconds()
	res.RowsPerSec = float64(res.Rows) / res.PredictSec
	res.Score = score
	res.PeakMiB = procStatus("VmHWM")
	return json.NewEncoder(os.Stdout).Encode(res)
}

// cpuSeconds returns the user and system CPU time of the process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func accuracy(pred []int, err error) func([]int) (float64, error) {
	return func(y []int) (float64, error) {
		if err != nil {
			return 0, err
		}
		return metrics.Accuracy(y, pred)
	}
}
