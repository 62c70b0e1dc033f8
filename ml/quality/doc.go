// Package quality checks data against declarative expectations and reports
// the result as a readable table and as JSON.
//
// # Model
//
// A Suite is a list of Expectations, usually loaded from YAML (they sit
// inside DAG files):
//
//	expectations:
//	  - rule: not_null
//	    column: age
//	  - rule: between
//	    column: age
//	    min: 0
//	    max: 120
//	    severity: warn
//	  - rule: unique
//	    column: id
//	  - rule: in_set
//	    column: country
//	    values: [FR, DE, IT]
//	  - rule: regex
//	    column: email
//	    pattern: '^[^@]+@[^@]+$'
//	  - rule: row_count
//	    min: 100
//	  - rule: schema
//	    columns: {id: int, age: float, email: string}
//	  - rule: freshness
//	    column: updated_at
//	    max_age: 24h
//	  - rule: expression          # per row: rows where it is false fail
//	    name: price_covers_cost
//	    expr: price >= cost
//	  - rule: aggregate           # once over the columns
//	    expr: mean(age) > 18 && rows >= 100
//
// Each expectation has a severity, "fail" (the default) or "warn". Run
// evaluates every expectation on a frame.Frame and returns a Report:
// Passed is false when any expectation of severity fail failed. Each
// Result names the rule, the column, the number of failing rows and up to
// SampleSize of them (row number and values).
//
// Row rules ignore missing values except not_null, so that "between" does
// not fail twice for a value not_null already reports. A row expression
// sees each column by name (nil when missing); an aggregate expression sees
// each column as the array of its present values, plus rows (the row
// count) and nulls (a map from column to its number of missing values), and
// can use expr-lang's builtins (mean, median, sum, min, max, len, …).
// Columns whose names are not identifiers are reachable as $env["name"].
//
// # Errors
//
// Loading fails, naming the expectation, when a rule is unknown or its
// parameters are missing or invalid (a bad regex, an expression that does
// not compile). At run time, a missing column is a failed result (not an
// error), so a report always covers every expectation.
package quality
