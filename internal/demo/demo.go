// Package demo holds what `weir demo` runs: its DAG files (embedded in the binary) and a
// seeded generator of its data, a synthetic stand-in for the possum data set with a drifted
// variant (longer bodies) for the live traffic after the drift is injected.
package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

//go:embed dags/*.yaml
var dagFiles embed.FS

// Row is one possum: the model's inputs and its tail length (the target).
type Row struct {
	TotLngth, FootLgth, HdLngth, Age float64
	Pop, Sex                         string
	TailL                            float64
}

// Record returns the row's inputs as a JSON-ready record (MLflow's dataframe_records).
func (r Row) Record() map[string]any {
	return map[string]any{"totlngth": r.TotLngth, "footlgth": r.FootLgth, "hdlngth": r.HdLngth,
		"age": r.Age, "Pop": r.Pop, "sex": r.Sex}
}

// Generate returns n seeded rows. With shift, bodies are longer (total, head and foot
// length move by about 1.5 standard deviations) and the tail follows them with a steeper
// slope, so both the inputs and the relation drift.
func Generate(n int, seed uint64, shift bool) []Row {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	rows := make([]Row, n)
	for i := range rows {
		pop := "other"
		if rng.IntN(7) < 2 {
			pop = "Vic"
		}
		sex := "f"
		if rng.Float64() < 0.58 {
			sex = "m"
		}
		tot := 87.1 + 4.3*rng.NormFloat64()
		foot := 68.4 + 4.4*rng.NormFloat64()
		if pop == "Vic" {
			foot += 5.5
		}
		slope := 0.26
		if shift {
			tot += 6.5
			foot += 6
			slope = 0.34
		}
		hd := 0.55*tot + 44.5 + 2.0*rng.NormFloat64()
		tail := slope*tot + 0.08*foot + 8.6 + 0.9*rng.NormFloat64()
		if shift {
			tail -= 7
		}
		if pop == "Vic" {
			tail -= 1.4
		} else {
			tail += 0.6
		}
		if sex == "m" {
			tail -= 0.3
		} else {
			tail += 0.2
		}
		rows[i] = Row{TotLngth: round1(tot), FootLgth: round1(foot), HdLngth: round1(hd),
			Age: float64(1 + rng.IntN(9)), Pop: pop, Sex: sex, TailL: round1(tail)}
	}
	return rows
}

func round1(x float64) float64 {
	return float64(int64(x*10+0.5*sign(x))) / 10
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// WriteCSV writes rows to path with a header, the target column included when withTarget.
func WriteCSV(path string, rows []Row, withTarget bool) error {
	var b strings.Builder
	b.WriteString("case,Pop,sex,age,hdlngth,totlngth,footlgth")
	if withTarget {
		b.WriteString(",taill")
	}
	b.WriteByte('\n')
	for i, r := range rows {
		fmt.Fprintf(&b, "%d,%s,%s,%g,%g,%g,%g", i+1, r.Pop, r.Sex, r.Age, r.HdLngth, r.TotLngth, r.FootLgth)
		if withTarget {
			fmt.Fprintf(&b, ",%g", r.TailL)
		}
		b.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	return nil
}

// WriteDAGs copies the demo's DAG files into dir (created if missing) and returns their
// paths.
func WriteDAGs(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo DAGs: %w", err)
	}
	entries, err := fs.ReadDir(dagFiles, "dags")
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		b, err := dagFiles.ReadFile("dags/" + e.Name())
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, e.Name())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, fmt.Errorf("demo DAGs: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
