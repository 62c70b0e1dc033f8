package frame_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
)

func TestSliceSharesRows(t *testing.T) {
	t.Parallel()
	f, err := frame.New(
		frame.NewFloat("x", []float64{0, 1, 2, 3, 4}, []bool{true, true, false, true, true}),
		frame.NewString("s", []string{"a", "b", "c", "d", "e"}, nil),
		frame.NewInt("k", []int64{10, 11, 12, 13, 14}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Slice(1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if s.NumRows() != 3 || s.NumCols() != 3 {
		t.Fatalf("slice is %d×%d, want 3×3", s.NumRows(), s.NumCols())
	}
	x, _ := s.Column("x")
	str, _ := s.Column("s")
	k, _ := s.Column("k")
	if x.Float(0) != 1 || !x.IsNull(1) || x.NullCount() != 1 || str.Str(2) != "d" || k.Int(0) != 11 {
		t.Errorf("slice rows: x %v null %v, s %q, k %d", x.Float(0), x.IsNull(1), str.Str(2), k.Int(0))
	}
	empty, err := f.Slice(5, 5)
	if err != nil || empty.NumRows() != 0 {
		t.Errorf("empty slice: %v rows, %v", empty, err)
	}
	for _, r := range [][2]int{{-1, 2}, {3, 2}, {0, 6}} {
		if _, err := f.Slice(r[0], r[1]); err == nil || !strings.Contains(err.Error(), "not within [0, 5]") {
			t.Errorf("Slice(%d, %d): %v", r[0], r[1], err)
		}
	}
	// Select by index stays Take.
	tk, err := f.Take([]int{4, 0, 4})
	if err != nil {
		t.Fatal(err)
	}
	kc, _ := tk.Column("k")
	if kc.Int(0) != 14 || kc.Int(1) != 10 || kc.Int(2) != 14 {
		t.Errorf("Take: %d %d %d", kc.Int(0), kc.Int(1), kc.Int(2))
	}
}

func TestIntsLabels(t *testing.T) {
	t.Parallel()
	got, err := frame.NewInt("y", []int64{2, 0, 1}, nil).Ints()
	if err != nil || !slices.Equal(got, []int{2, 0, 1}) {
		t.Errorf("int column: %v, %v", got, err)
	}
	got, err = frame.NewFloat("y", []float64{1, 0, 3}, nil).Ints()
	if err != nil || !slices.Equal(got, []int{1, 0, 3}) {
		t.Errorf("whole float column: %v, %v", got, err)
	}
	got, err = frame.NewBool("y", []bool{true, false}, nil).Ints()
	if err != nil || !slices.Equal(got, []int{1, 0}) {
		t.Errorf("bool column: %v, %v", got, err)
	}
	var ve *frame.ValueError
	if _, err := frame.NewFloat("y", []float64{1, 0.5}, nil).Ints(); !errors.As(err, &ve) || ve.Column != "y" || ve.Row != 2 {
		t.Errorf("fractional label: %v", err)
	}
	if _, err := frame.NewFloat("y", []float64{1, math.NaN()}, nil).Ints(); !errors.As(err, &ve) || ve.Row != 2 {
		t.Errorf("NaN label: %v", err)
	}
	if _, err := frame.NewInt("y", []int64{1, 2}, []bool{true, false}).Ints(); !errors.As(err, &ve) || ve.Row != 2 || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing label: %v", err)
	}
	if _, err := frame.NewString("y", []string{"a"}, nil).Ints(); err == nil || !strings.Contains(err.Error(), "LabelEncoder") {
		t.Errorf("string labels: %v", err)
	}
}

func TestMatrixMissing(t *testing.T) {
	t.Parallel()
	f, err := frame.New(
		frame.NewFloat("a", []float64{1, math.NaN(), 3}, nil),
		frame.NewInt("b", []int64{4, 5, 6}, []bool{true, false, true}),
	)
	if err != nil {
		t.Fatal(err)
	}
	x, err := f.MatrixMissing()
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(x.At(1, 0)) || !math.IsNaN(x.At(1, 1)) || x.At(2, 1) != 6 || x.At(0, 0) != 1 {
		t.Errorf("matrix rows: %v %v %v", x.RawRowView(0), x.RawRowView(1), x.RawRowView(2))
	}
	if _, err := f.Matrix(); err == nil {
		t.Error("Matrix accepted missing values")
	}
	inf, _ := frame.New(frame.NewFloat("a", []float64{math.Inf(1)}, nil))
	if _, err := inf.MatrixMissing(); err == nil || !strings.Contains(err.Error(), "not a finite number") {
		t.Errorf("Inf: %v", err)
	}
}
