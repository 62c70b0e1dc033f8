package sensor

import (
	"strings"
	"testing"
	"time"
)

func TestTimingWait(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name string
		tm   timing
		n    int
		want time.Duration
	}{
		{"fixed", timing{interval: 30 * s, timeout: time.Hour}, 5, 30 * s},
		{"first", timing{interval: 10 * s, timeout: time.Hour, backoff: true}, 1, 10 * s},
		{"second", timing{interval: 10 * s, timeout: time.Hour, backoff: true}, 2, 20 * s},
		{"fourth", timing{interval: 10 * s, timeout: time.Hour, backoff: true}, 4, 80 * s},
		{"capped by timeout", timing{interval: 10 * s, timeout: 100 * s, backoff: true}, 5, 100 * s},
		{"no overflow", timing{interval: 10 * s, timeout: 7 * 24 * time.Hour, backoff: true}, 400, 7 * 24 * time.Hour},
	}
	for _, tc := range tests {
		if got := tc.tm.wait(tc.n); got != tc.want {
			t.Errorf("%s: wait(%d) = %s, want %s", tc.name, tc.n, got, tc.want)
		}
	}
}

func TestTimingPokeNumber(t *testing.T) {
	t.Parallel()
	s := time.Second
	fixed := timing{interval: 10 * s, timeout: time.Hour}
	backoff := timing{interval: 10 * s, timeout: time.Hour, backoff: true}
	tests := []struct {
		tm      timing
		elapsed time.Duration
		want    int
	}{
		{fixed, 0, 1}, {fixed, 9 * s, 1}, {fixed, 10 * s, 2}, {fixed, 10*s + 300*time.Millisecond, 2}, {fixed, 95 * s, 10},
		// With backoff the waits are 10, 20, 40 s: pokes at 0, 10, 30, 70 s.
		{backoff, 0, 1}, {backoff, 10 * s, 2}, {backoff, 12 * s, 2}, {backoff, 30 * s, 3}, {backoff, 31 * s, 3}, {backoff, 70 * s, 4},
		{backoff, 1000 * time.Hour, 19},
	}
	for _, tc := range tests {
		if got := tc.tm.pokeNumber(tc.elapsed); got != tc.want {
			t.Errorf("backoff %v, pokeNumber(%s) = %d, want %d", tc.tm.backoff, tc.elapsed, got, tc.want)
		}
	}
	// The estimate agrees with the waits it assumes, up to the timeout.
	var at time.Duration
	for n := 1; at < backoff.timeout; n++ {
		if got := backoff.pokeNumber(at); got != n {
			t.Errorf("poke at %s: number %d, want %d", at, got, n)
		}
		at += backoff.wait(n)
	}
}

func TestSplitBlobURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, bucket, key, err string
	}{
		{url: "file:///tmp/x/key", bucket: "file:///tmp/x", key: "key"},
		{url: "file:///key.csv", bucket: "file:///", key: "key.csv"},
		{url: "file:///data/2024/*.csv?metadata=skip", bucket: "file:///data/2024?metadata=skip", key: "*.csv"},
		{url: "file:///data/in/part-*/x.csv", bucket: "file:///data/in", key: "part-*/x.csv"},
		{url: "s3://bucket/dir/key.csv?region=eu-west-1", bucket: "s3://bucket?region=eu-west-1", key: "dir/key.csv"},
		{url: "mem://b/k", bucket: "mem://b", key: "k"},
		{url: "mem://", err: "names no key"},
		{url: "file:///tmp/x/", err: "names no key"},
		{url: "/tmp/x", err: "has no scheme"},
		{url: "gs://b/[a-", err: "invalid glob"},
	}
	for _, tc := range tests {
		b, k, err := splitBlobURL(tc.url)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.url, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case b != tc.bucket || k != tc.key:
			t.Errorf("%s: bucket %q key %q, want %q %q", tc.url, b, k, tc.bucket, tc.key)
		}
	}
}
