package frame_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/weirhq/weir/ml/frame"
)

const mixed = `id,age,score,member,city,joined,note
1,34,1.5,true,Paris,2024-01-02,a
2,,2.25,false,Lyon,2024-02-03,
3,51,NA,TRUE,Paris,2024-03-04,"quoted, with comma"
4,28,-3e2,False,,2024-04-05,x
`

func readMixed(t *testing.T) *frame.Frame {
	t.Helper()
	f, err := frame.ReadCSV(strings.NewReader(mixed), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReadCSVInfersTypesAndNulls(t *testing.T) {
	t.Parallel()
	f := readMixed(t)
	want := "id:int, age:int, score:float, member:bool, city:string, joined:time, note:string"
	if got := f.Schema().String(); got != want {
		t.Fatalf("schema = %s, want %s", got, want)
	}
	if f.NumRows() != 4 {
		t.Fatalf("rows = %d", f.NumRows())
	}
	age, _ := f.Column("age")
	if !age.IsNull(1) || age.NullCount() != 1 || age.Int(2) != 51 {
		t.Errorf("age: null(1)=%v count=%d v(2)=%d", age.IsNull(1), age.NullCount(), age.Int(2))
	}
	score, _ := f.Column("score")
	if !score.IsNull(2) || score.Float(3) != -300 || !math.IsNaN(score.Float(2)) {
		t.Errorf("score: %v %v", score.Float(2), score.Float(3))
	}
	joined, _ := f.Column("joined")
	if !joined.Time(2).Equal(time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("joined[2] = %v", joined.Time(2))
	}
	note, _ := f.Column("note")
	if note.Str(2) != "quoted, with comma" || !note.IsNull(1) {
		t.Errorf("note = %q null(1)=%v", note.Str(2), note.IsNull(1))
	}
	city, _ := f.Column("city")
	if city.Code(0) != city.Code(2) || len(city.Levels()) != 2 || !city.IsNull(3) {
		t.Errorf("city codes %d %d levels %v", city.Code(0), city.Code(2), city.Levels())
	}
	member, _ := f.Column("member")
	if !member.Bool(2) || member.Bool(3) {
		t.Errorf("member: %v %v", member.Bool(2), member.Bool(3))
	}
}

func TestReadCSVStringInFloatColumn(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("name,age\n")
	for i := 1; i <= 20; i++ {
		v := fmt.Sprint(20 + i)
		if i == 17 {
			v = "abc"
		}
		fmt.Fprintf(&b, "p%d,%s\n", i, v)
	}
	_, err := frame.ReadCSV(strings.NewReader(b.String()), frame.CSVOptions{Schema: map[string]frame.Type{"age": frame.Float}})
	want := `column "age", row 17 (line 18): "abc" is not a number`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	var ve *frame.ValueError
	if !errors.As(err, &ve) || ve.Row != 17 || ve.Column != "age" {
		t.Fatalf("not a ValueError: %#v", err)
	}
	// Beyond the inference window the inferred type is fixed too.
	_, err = frame.ReadCSV(strings.NewReader(b.String()), frame.CSVOptions{InferRows: 5})
	if err == nil || !strings.Contains(err.Error(), `column "age", row 17 (line 18): "abc" is not an integer`) ||
		!strings.Contains(err.Error(), `Schema["age"]`) {
		t.Fatalf("err = %v", err)
	}
	// Within the window it is read as text.
	f, err := frame.ReadCSV(strings.NewReader(b.String()), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := f.Column("age"); c.Type() != frame.String {
		t.Fatalf("age type %v", c.Type())
	}
}

func TestReadCSVPromotesIntToFloat(t *testing.T) {
	t.Parallel()
	f, err := frame.ReadCSV(strings.NewReader("x\n1\n2\n3\n4.5\n"), frame.CSVOptions{InferRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := f.Column("x")
	if x.Type() != frame.Float || x.Float(0) != 1 || x.Float(3) != 4.5 {
		t.Fatalf("x: %v %v %v", x.Type(), x.Float(0), x.Float(3))
	}
}

func TestReadCSVBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "empty input"},
		{"ragged", "a,b\n1,2\n3\n", "line 3: wrong number of fields"},
		{"duplicate header", "a,a\n1,2\n", `both named "a"`},
		{"bad quote", "a\n\"x\n", "line"},
	} {
		_, err := frame.ReadCSV(strings.NewReader(tc.in), frame.CSVOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	_, err := frame.ReadCSV(strings.NewReader("a\n1\n"), frame.CSVOptions{Schema: map[string]frame.Type{"b": frame.Int}})
	if !errors.Is(err, frame.ErrNoColumn) {
		t.Errorf("override of unknown column: %v", err)
	}
}

func TestCSVReaderChunks(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("i,sq\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "%d,%d\n", i, i*i)
	}
	r, err := frame.NewCSVReader(strings.NewReader(b.String()), frame.CSVOptions{InferRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	total, chunks := 0, 0
	var sum int64
	for {
		f, err := r.Read(300)
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatal(err)
			}
			break
		}
		chunks++
		total += f.NumRows()
		c, _ := f.Column("sq")
		for i := 0; i < f.NumRows(); i++ {
			sum += c.Int(i)
		}
	}
	if total != 1000 || chunks != 4 || sum != 332833500 {
		t.Fatalf("rows %d chunks %d sum %d", total, chunks, sum)
	}
}

func TestReadCSVMemoryIsProportional(t *testing.T) {
	// Not parallel: it measures the heap.
	var b bytes.Buffer
	b.WriteString("a,b,c,d,e,f,g,h\n")
	for i := 0; i < 40000; i++ {
		for j := 0; j < 8; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.6f", float64(i*8+j)/7)
		}
		b.WriteByte('\n')
	}
	size := b.Len()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, err := frame.ReadCSV(&b, frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	// 320,000 float64 values = 2.56 MB out of ~3 MB of text; buffers grow by
	// doubling, so allow up to 2x the text.
	if retained > int64(2*size) {
		t.Fatalf("retained %d bytes for %d bytes of CSV", retained, size)
	}
	runtime.KeepAlive(f)
}

func sampleFrame(t *testing.T) *frame.Frame {
	t.Helper()
	ts := []time.Time{time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), time.Unix(0, 0).UTC(), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)}
	f, err := frame.New(
		frame.NewFloat("f", []float64{1.5, math.NaN(), -2e-300}, []bool{true, false, true}),
		frame.NewInt("i", []int64{1, -2, math.MaxInt64}, nil),
		frame.NewBool("b", []bool{true, false, true}, []bool{true, true, false}),
		frame.NewString("s", []string{"x", "", "y,z"}, []bool{true, false, true}),
		frame.NewTime("t", ts, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func equalFrames(t *testing.T, a, b *frame.Frame) {
	t.Helper()
	if a.Schema().String() != b.Schema().String() || a.NumRows() != b.NumRows() {
		t.Fatalf("schema %s (%d rows) vs %s (%d rows)", a.Schema(), a.NumRows(), b.Schema(), b.NumRows())
	}
	for j := 0; j < a.NumCols(); j++ {
		for i := 0; i < a.NumRows(); i++ {
			ca, cb := a.Col(j), b.Col(j)
			if ca.IsNull(i) != cb.IsNull(i) || ca.Format(i) != cb.Format(i) {
				t.Errorf("column %s row %d: %q (null %v) vs %q (null %v)", ca.Name(), i, ca.Format(i), ca.IsNull(i), cb.Format(i), cb.IsNull(i))
			}
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	f := sampleFrame(t)
	var buf bytes.Buffer
	if err := frame.WriteCSV(&buf, f); err != nil {
		t.Fatal(err)
	}
	g, err := frame.ReadCSV(&buf, frame.CSVOptions{Schema: map[string]frame.Type{"s": frame.String}})
	if err != nil {
		t.Fatal(err)
	}
	equalFrames(t, f, g)
}

func TestParquetRoundTrip(t *testing.T) {
	t.Parallel()
	f := sampleFrame(t)
	var buf bytes.Buffer
	if err := frame.WriteParquet(&buf, f); err != nil {
		t.Fatal(err)
	}
	g, err := frame.ReadParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	equalFrames(t, f, g)
	if _, err := frame.ReadParquet(bytes.NewReader([]byte("not parquet")), 11); err == nil {
		t.Fatal("garbage read as Parquet")
	}
}

func TestReadJSONLines(t *testing.T) {
	t.Parallel()
	in := `{"id": 1, "name": "a", "x": 1.5, "ok": true, "at": "2024-05-06T07:08:09Z"}

{"id": 2, "name": null, "x": 2, "tags": [1, 2]}
{"id": 3, "name": "c", "x": -1, "ok": false}
`
	f, err := frame.ReadJSONLines(strings.NewReader(in), frame.JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Schema().String(), "id:int, name:string, x:float, ok:bool, at:time, tags:string"; got != want {
		t.Fatalf("schema %s, want %s", got, want)
	}
	tags, _ := f.Column("tags")
	name, _ := f.Column("name")
	at, _ := f.Column("at")
	if tags.Str(1) != "[1, 2]" || !tags.IsNull(0) || !name.IsNull(1) || at.Time(0).Hour() != 7 {
		t.Fatalf("tags %q name null %v at %v", tags.Str(1), name.IsNull(1), at.Time(0))
	}
	_, err = frame.ReadJSONLines(strings.NewReader(`{"x": 1}`+"\n"+`{"x": "y"}`+"\n"), frame.JSONOptions{InferRows: 1})
	if err == nil || err.Error() != `column "x", row 2 (line 2): "y" is not an integer` {
		t.Fatalf("err = %v", err)
	}
	if _, err := frame.ReadJSONLines(strings.NewReader("[1]\n"), frame.JSONOptions{}); err == nil {
		t.Fatal("array line accepted")
	}
}

func TestOpenLocalFileURLAndBlob(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := sampleFrame(t)
	var buf bytes.Buffer
	if err := frame.WriteParquet(&buf, f); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "d.parquet")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, loc := range []string{p, "file://" + p} {
		g, err := frame.Open(ctx, loc, frame.ReadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		equalFrames(t, f, g)
	}
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	if err := bucket.WriteAll(ctx, "dir/train.csv", []byte(mixed), nil); err != nil {
		t.Fatal(err)
	}
	g, err := frame.OpenBlob(ctx, bucket, "dir/train.csv", frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	equalFrames(t, readMixed(t), g)
	if _, err := frame.Open(ctx, filepath.Join(dir, "x.xlsx"), frame.ReadOptions{}); err == nil {
		t.Fatal("missing file opened")
	}
}

func TestSelectFilterSampleSplit(t *testing.T) {
	t.Parallel()
	f, err := frame.Open(context.Background(), "../testdata/data/iris.csv", frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 150 || f.NumCols() != 5 {
		t.Fatalf("iris %dx%d", f.NumRows(), f.NumCols())
	}
	if _, err := f.Select("target_class", "nope"); !errors.Is(err, frame.ErrNoColumn) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("select missing: %v", err)
	}
	s, err := f.Select("target_class", "petal_width_(cm)")
	if err != nil || s.Names()[0] != "target_class" {
		t.Fatalf("select: %v %v", err, s)
	}
	target, _ := f.Column("target_class")
	setosa := f.Filter(func(i int) bool { return target.Int(i) == 0 })
	if setosa.NumRows() != 50 {
		t.Fatalf("setosa rows %d", setosa.NumRows())
	}
	a, _ := f.Sample(10, 42)
	b, _ := f.Sample(10, 42)
	c, _ := f.Sample(10, 43)
	equalFrames(t, a, b)
	if a.String() == c.String() {
		t.Fatal("different seeds gave the same sample")
	}
	train, test, err := f.Split(0.8, 1)
	if err != nil || train.NumRows() != 120 || test.NumRows() != 30 {
		t.Fatalf("split %v %d %d", err, train.NumRows(), test.NumRows())
	}
	if _, _, err := f.Split(1.5, 1); err == nil {
		t.Fatal("fraction 1.5 accepted")
	}
	d, err := f.Drop("target_class")
	if err != nil || d.NumCols() != 4 {
		t.Fatalf("drop %v", err)
	}
	m, err := d.Matrix()
	if err != nil || m.At(0, 0) != 5.1 {
		t.Fatalf("matrix %v", err)
	}
}

func TestMatrixErrors(t *testing.T) {
	t.Parallel()
	f := readMixed(t)
	_, err := f.Matrix("id", "age")
	if err == nil || err.Error() != `column "age", row 2: is missing (impute it first)` {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.Matrix("city"); err == nil || !strings.Contains(err.Error(), `column "city" is string`) {
		t.Fatalf("err = %v", err)
	}
	g, _ := frame.New(frame.NewFloat("x", []float64{1, math.Inf(1)}, nil))
	if _, err := g.Matrix(); err == nil || err.Error() != `column "x", row 2: "+Inf" is not a finite number` {
		t.Fatalf("err = %v", err)
	}
	if _, err := frame.New(frame.NewFloat("x", []float64{1}, nil), frame.NewInt("y", []int64{1, 2}, nil)); err == nil {
		t.Fatal("mismatched lengths accepted")
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add(mixed)
	f.Add("a,b\n1,2\n3,x\n")
	f.Add("\ufeffa\n\"\n")
	f.Add("x,y\n1e400,true\n,\n")
	f.Fuzz(func(t *testing.T, in string) {
		fr, err := frame.ReadCSV(strings.NewReader(in), frame.CSVOptions{InferRows: 3})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := frame.WriteCSV(&buf, fr); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < fr.NumCols(); j++ {
			c := fr.Col(j)
			for i := 0; i < fr.NumRows(); i++ {
				_ = c.Format(i)
				_ = c.Float(i)
			}
		}
		_ = fr.String()
	})
}
