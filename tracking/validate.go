package tracking

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// MLflow's validation limits (mlflow/utils/validation.py).
const (
	// MaxParamValueLength is the longest param value, in characters.
	MaxParamValueLength = 6000
	// MaxTagValueLength is the longest run or experiment tag value.
	MaxTagValueLength = 5000
	// MaxKeyLength is the longest metric, param or tag key.
	MaxKeyLength = 250
	// MaxExperimentNameLength is the longest experiment name.
	MaxExperimentNameLength = 500
	// MaxRegistryTagKeyLength and MaxRegistryTagValueLength bound registry tags.
	MaxRegistryTagKeyLength   = 250
	MaxRegistryTagValueLength = 5000
	// MaxAliasLength is the longest alias.
	MaxAliasLength = 255
	// MaxBatchMetrics, MaxBatchParams, MaxBatchTags and MaxBatchEntries bound one
	// LogBatch.
	MaxBatchMetrics = 1000
	MaxBatchParams  = 100
	MaxBatchTags    = 100
	MaxBatchEntries = 1000
	// MaxSearchResults is the largest max_results of runs/search; DefaultSearchResults its
	// default.
	MaxSearchResults     = 50000
	DefaultSearchResults = 1000
)

var (
	keyRE   = regexp.MustCompile(`^[/\w.\- ]*$`)
	aliasRE = regexp.MustCompile(`^[\w\-]*$`)
	vNumRE  = regexp.MustCompile(`^[vV]\d+$`)
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// ValidateKey checks a metric, param or tag key: non-empty, at most MaxKeyLength
// characters of letters, digits, _ - . / and space, and a path that does not normalise to
// another (no "..", no leading "/"). what names the key in the error ("param", "metric"…).
func ValidateKey(what, key string) error {
	switch {
	case key == "":
		return invalid("missing value for required parameter %s key", what)
	case len([]rune(key)) > MaxKeyLength:
		return invalid("%s key %q has %d characters, more than the limit of %d", what, truncate(key), len([]rune(key)), MaxKeyLength)
	case !keyRE.MatchString(key):
		return invalid("invalid %s name: %q: names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/)", what, key)
	case pathNotUnique(key):
		return invalid("invalid %s name: %q: names may be treated as files in certain cases, and must not resolve to other names when treated as such", what, key)
	}
	return nil
}

// pathNotUnique reports whether name, read as a path, normalises to another name (as
// MLflow's path_not_unique).
func pathNotUnique(name string) bool {
	norm := path.Clean(name)
	return norm != name || norm == "." || strings.HasPrefix(norm, "..") || strings.HasPrefix(norm, "/")
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// validateValue checks a value's length in characters.
func validateValue(what, key, value string, max int) error {
	if n := len([]rune(value)); n > max {
		return invalid("%s value of %q has %d characters, more than the limit of %d", what, key, n, max)
	}
	return nil
}

// ValidateExperimentName checks an experiment name: non-empty, at most
// MaxExperimentNameLength characters.
func ValidateExperimentName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalid("invalid experiment name: %q", name)
	}
	if len([]rune(name)) > MaxExperimentNameLength {
		return invalid("experiment name has %d characters, more than the limit of %d", len([]rune(name)), MaxExperimentNameLength)
	}
	return nil
}

// ValidateModelName checks a registered model name: non-empty, no "/" nor ":" and not a
// path that normalises to another.
func ValidateModelName(name string) error {
	switch {
	case name == "":
		return invalid("missing value for required parameter 'name'")
	case strings.ContainsAny(name, "/:\x00") || strings.Contains(name, ".."):
		return invalid("invalid model name %q: it must not contain '/', ':' or '..'", name)
	case len([]rune(name)) > MaxKeyLength:
		return invalid("model name has more than %d characters", MaxKeyLength)
	}
	return nil
}

// ValidateAlias checks an alias: letters, digits, _ and -, at most MaxAliasLength
// characters, and neither "latest" nor v<digits> (reserved for versions).
func ValidateAlias(alias string) error {
	switch {
	case alias == "":
		return invalid("missing value for required parameter 'alias'")
	case len(alias) > MaxAliasLength:
		return invalid("alias %q is longer than %d characters", truncate(alias), MaxAliasLength)
	case !aliasRE.MatchString(alias):
		return invalid("invalid alias name %q: aliases may only contain alphanumerics, underscores and dashes", alias)
	case strings.EqualFold(alias, "latest") || vNumRE.MatchString(alias):
		return invalid("alias %q is reserved (latest and v<number> name versions)", alias)
	}
	return nil
}

// ValidateTag checks a run or experiment tag.
func ValidateTag(t Tag) error {
	if err := ValidateKey("tag", t.Key); err != nil {
		return err
	}
	return validateValue("tag", t.Key, t.Value, MaxTagValueLength)
}

// ValidateRegistryTag checks a registered model or model version tag.
func ValidateRegistryTag(t Tag) error {
	if err := ValidateKey("tag", t.Key); err != nil {
		return err
	}
	return validateValue("tag", t.Key, t.Value, MaxRegistryTagValueLength)
}

// ValidateLogBatch checks a LogBatch against MLflow's limits: entry counts, keys, value
// lengths, and a param logged twice in one batch with different values.
func ValidateLogBatch(p LogBatchParams) error {
	if p.RunID == "" {
		return invalid("missing value for required parameter 'run_id'")
	}
	if len(p.Metrics) > MaxBatchMetrics {
		return invalid("a batch logging request can contain at most %d metrics; got %d", MaxBatchMetrics, len(p.Metrics))
	}
	if len(p.Params) > MaxBatchParams {
		return invalid("a batch logging request can contain at most %d params; got %d", MaxBatchParams, len(p.Params))
	}
	if len(p.Tags) > MaxBatchTags {
		return invalid("a batch logging request can contain at most %d tags; got %d", MaxBatchTags, len(p.Tags))
	}
	if n := len(p.Metrics) + len(p.Params) + len(p.Tags); n > MaxBatchEntries {
		return invalid("a batch logging request can contain at most %d metrics, params and tags in all; got %d", MaxBatchEntries, n)
	}
	for _, m := range p.Metrics {
		if err := ValidateKey("metric", m.Key); err != nil {
			return err
		}
	}
	seen := make(map[string]string, len(p.Params))
	for _, pr := range p.Params {
		if err := ValidateKey("param", pr.Key); err != nil {
			return err
		}
		if err := validateValue("param", pr.Key, pr.Value, MaxParamValueLength); err != nil {
			return err
		}
		if v, dup := seen[pr.Key]; dup && v != pr.Value {
			return invalid("duplicate parameter keys have been submitted: %q with values %q and %q", pr.Key, v, pr.Value)
		}
		seen[pr.Key] = pr.Value
	}
	for _, t := range p.Tags {
		if err := ValidateTag(t); err != nil {
			return err
		}
	}
	return nil
}

// CanonicalVersionStage returns the model version stage named stage, ignoring case (None,
// Staging, Production or Archived); another name is ErrInvalid.
func CanonicalVersionStage(stage string) (string, error) {
	for _, st := range []string{StageNone, StageStaging, StageProduction, StageArchived} {
		if strings.EqualFold(st, stage) {
			return st, nil
		}
	}
	return "", invalid("invalid model version stage %q: want None, Staging, Production or Archived", stage)
}
