// Package frame holds tabular data as typed columns: a Frame is an ordered
// set of named Columns of equal length, each of one Type (Float, Int, Bool,
// String or Time) with an optional null mask for missing values.
//
// # Model
//
// Columns are stored column-major in typed slices (float64, int64, bool,
// dictionary-encoded strings, and times as Unix nanoseconds), so a column of
// n floats costs 8n bytes plus n bytes for its null mask when it has nulls.
// String columns keep each distinct value once and a 32-bit code per row,
// which makes them categorical columns at no extra cost. Frames and columns
// are immutable once built: operations such as Select, Filter, Take and
// Split return new frames and never modify their input, so a Frame may be
// shared between goroutines.
//
// # Reading and writing
//
// ReadCSV, ReadJSONLines and ReadParquet read whole files; a CSVReader reads
// a CSV stream in chunks of rows. Column types are inferred from the first
// rows (CSVOptions.InferRows, 1000 by default) unless given in the options'
// Schema; after inference the types are fixed, so memory stays proportional
// to the data rather than to its text. The one exception is an Int column
// that meets a non-integer number, which becomes a Float column. Open reads
// a local path or a gocloud.dev/blob URL (file://, mem://, s3://, gs://,
// azblob:// with the matching driver linked in) and picks the format from
// the extension. WriteCSV and WriteParquet write frames back.
//
// # Errors
//
// Every error about a value names the column and the 1-based data row (the
// header is not counted), for example
//
//	column "age", row 17 (line 18): "abc" is not a number
//
// and a missing column is reported with ErrNoColumn. No input makes the
// readers panic; the CSV reader is fuzzed.
package frame
