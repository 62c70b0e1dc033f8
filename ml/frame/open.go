package frame

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// URLs
	_ "gocloud.dev/blob/memblob"  // mem:// URLs
)

// Format names a file format: "csv", "jsonl" or "parquet".
type Format string

// The formats Open and OpenBlob read.
const (
	CSV        Format = "csv"
	JSONLines  Format = "jsonl"
	ParquetFmt Format = "parquet"
)

// ReadOptions configure Open and OpenBlob.
type ReadOptions struct {
	// Format is the file format; empty means from the extension (.csv,
	// .tsv, .jsonl, .ndjson, .json, .parquet, .pq).
	Format Format
	// CSV configures the CSV reader (a .tsv file defaults to tabs).
	CSV CSVOptions
	// JSON configures the JSON-lines reader.
	JSON JSONOptions
}

// FormatOf returns the format implied by a file name's extension.
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv", ".tsv":
		return CSV, nil
	case ".jsonl", ".ndjson", ".json":
		return JSONLines, nil
	case ".parquet", ".pq":
		return ParquetFmt, nil
	}
	return "", fmt.Errorf("frame: cannot tell the format of %q from its extension; set ReadOptions.Format", name)
}

// Open reads a data file from a local path or a gocloud.dev/blob URL such
// as file:///data/train.csv or s3://bucket/train.parquet?region=eu-west-1
// (the object-store drivers other than file:// and mem:// must be linked
// in by the program with a blank import, for example gocloud.dev/blob/s3blob).
func Open(ctx context.Context, location string, opts ReadOptions) (*Frame, error) {
	u, err := url.Parse(location)
	if err != nil || u.Scheme == "" || len(u.Scheme) == 1 { // "C:\…" is a path
		f, err := os.Open(location)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		return read(f, f, st.Size(), location, opts)
	}
	key := strings.TrimPrefix(u.Path, "/")
	if u.Scheme == "file" {
		key = path.Base(u.Path)
		u.Path = path.Dir(u.Path)
	} else {
		u.Path = ""
	}
	bucket, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("frame: open %s: %w", location, err)
	}
	defer bucket.Close()
	return OpenBlob(ctx, bucket, key, opts)
}

// OpenBlob reads the object key of an open bucket. Parquet objects are read
// into memory first, since Parquet needs random access.
func OpenBlob(ctx context.Context, bucket *blob.Bucket, key string, opts ReadOptions) (*Frame, error) {
	format := opts.Format
	if format == "" {
		var err error
		if format, err = FormatOf(key); err != nil {
			return nil, err
		}
		opts.Format = format
	}
	if format == ParquetFmt {
		b, err := bucket.ReadAll(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("frame: read %s: %w", key, err)
		}
		return read(nil, bytes.NewReader(b), int64(len(b)), key, opts)
	}
	r, err := bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("frame: read %s: %w", key, err)
	}
	defer r.Close()
	return read(r, nil, r.Size(), key, opts)
}

func read(r io.Reader, ra io.ReaderAt, size int64, name string, opts ReadOptions) (*Frame, error) {
	format := opts.Format
	if format == "" {
		var err error
		if format, err = FormatOf(name); err != nil {
			return nil, err
		}
	}
	var (
		f   *Frame
		err error
	)
	switch format {
	case CSV:
		if opts.CSV.Delimiter == 0 && strings.EqualFold(path.Ext(name), ".tsv") {
			opts.CSV.Delimiter = '\t'
		}
		f, err = ReadCSV(r, opts.CSV)
	case JSONLines:
		f, err = ReadJSONLines(r, opts.JSON)
	case ParquetFmt:
		if ra == nil {
			return nil, fmt.Errorf("frame: %s: Parquet needs random access", name)
		}
		f, err = ReadParquet(ra, size)
	default:
		return nil, fmt.Errorf("frame: unknown format %q", format)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}
